package country

import (
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
)

// maxInput bounds the work done on one input; no country name is longer.
const maxInput = 64

// Normalize returns the ISO 3166-1 alpha-2 code (upper case) for s, which
// may be:
//
//   - an alpha-2 or alpha-3 code in any case: "IN", "in", "IND";
//     deprecated codes are replaced ("UK" → "GB", "BU" → "MM");
//   - an English country name, case-, accent- and punctuation-insensitive:
//     "India", "united states", "Côte d'Ivoire", "Cote dIvoire", plus
//     common aliases such as "USA", "Great Britain", "UAE";
//   - a dialling code with or without "+" or "00": "+91", "91", "0091";
//     anything after a separator is ignored ("+1-684" → "US", "+91 98765…" → "IN").
//     A code shared by several countries gives its main one ("+1" → "US",
//     "+7" → "RU", "+44" → "GB").
//
// ok is false, and iso2 empty, for anything else, including the empty
// string, "ZZ", groupings such as "EU" and non-geographic codes ("+800").
func Normalize(s string) (iso2 string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxInput {
		return "", false
	}
	if code, ok := dialling(s); ok {
		return code, true
	}
	t := load()
	if code, ok := t.names[nameKey(s)]; ok {
		return code, true
	}
	if n := len(s); n == 2 || n == 3 {
		if isASCIILetters(s) {
			return t.code(s)
		}
	}
	return "", false
}

// dialling reads s as a dialling code when it is one: optional "+" or
// "00", digits, then nothing or a separator.
func dialling(s string) (string, bool) {
	switch {
	case strings.HasPrefix(s, "+"):
		s = strings.TrimSpace(s[1:])
	case strings.HasPrefix(s, "00"):
		s = s[2:]
	}
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == 0 || end > 3 {
		return "", false
	}
	if end < len(s) && !isSeparator(s[end]) {
		return "", false
	}
	cc, err := strconv.Atoi(s[:end])
	if err != nil || cc == 0 {
		return "", false
	}
	region := phonenumbers.GetRegionCodeForCountryCode(cc)
	if len(region) != 2 || region == "ZZ" {
		return "", false
	}
	return region, true
}

func isSeparator(c byte) bool {
	switch c {
	case ' ', '-', '.', '(', ')', '/', '\t':
		return true
	}
	return false
}

func isASCIILetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// code resolves an alpha-2 or alpha-3 code.
func (t *tables) code(s string) (string, bool) {
	r, err := language.ParseRegion(s)
	if err != nil {
		return "", false
	}
	iso := r.Canonicalize().String()
	if alias, ok := t.deprecated[iso]; ok {
		iso = alias
	}
	if !t.valid[iso] {
		return "", false
	}
	return iso, true
}
