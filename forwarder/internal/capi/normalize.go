package capi

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"

	"github.com/popinbridge/bridge/internal/country"
)

// maxField bounds the work done on one input value.
const maxField = 512

// Hash returns the lowercase hex SHA-256 of s, or "" for "".
func Hash(s string) string {
	if s == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// clip trims and bounds a raw value.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxField {
		s = s[:maxField]
	}
	return s
}

// NormEmail follows Meta: trim, lower-case. Values that are not plausibly an
// email (one '@', something on both sides, a dot in the domain, no spaces)
// give "" so that nothing malformed is hashed.
func NormEmail(s string) string {
	s = strings.ToLower(clip(s))
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') || at == len(s)-1 {
		return ""
	}
	if strings.ContainsFunc(s, unicode.IsSpace) || !strings.Contains(s[at+1:], ".") ||
		strings.HasSuffix(s, ".") || strings.HasPrefix(s[at+1:], ".") {
		return ""
	}
	return s
}

// NormPhone returns the number as E.164 digits without '+' (Meta: "remove
// symbols, letters and any leading zeros; must include a country code").
// The number is parsed with libphonenumber using region (ISO alpha-2) for
// numbers written without a country code; a number it cannot make sense of
// falls back to its digits without leading zeros, and "" when that is not
// 7 to 15 digits long.
func NormPhone(raw, region string) string {
	raw = clip(raw)
	if raw == "" {
		return ""
	}
	region = strings.ToUpper(region)
	if num, err := phonenumbers.Parse(raw, region); err == nil && phonenumbers.IsPossibleNumber(num) {
		return strings.TrimPrefix(phonenumbers.Format(num, phonenumbers.E164), "+")
	}
	d := strings.TrimLeft(digits(raw), "0")
	if len(d) < 7 || len(d) > 15 {
		return ""
	}
	return d
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// NormName follows Meta for fn and ln: lower case, no punctuation, UTF-8
// letters (accents kept: "Valéry" → "valéry"). Spaces, symbols and
// punctuation are removed.
func NormName(s string) string {
	return keep(strings.ToLower(clip(s)), func(r rune) bool { return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) })
}

// SplitName splits a full name into first and last: the first word and the
// last word ("Asha Rani Sharma" → "Asha", "Sharma"); one word is a first name.
func SplitName(full string) (first, last string) {
	w := strings.Fields(clip(full))
	switch len(w) {
	case 0:
		return "", ""
	case 1:
		return w[0], ""
	default:
		return w[0], w[len(w)-1]
	}
}

// NormCity follows Meta for ct: lower case, no punctuation, no special
// characters, no spaces ("New York" → "newyork"); letters of any script kept.
func NormCity(s string) string {
	return keep(strings.ToLower(clip(s)), func(r rune) bool { return unicode.IsLetter(r) || unicode.IsMark(r) })
}

// NormState follows Meta for st: lower case, letters only ("CA" → "ca").
func NormState(s string) string { return NormCity(s) }

// NormZip follows Meta for zp: lower case, no spaces, the part before a dash;
// US codes are cut to their first 5 digits. Fewer than 2 characters give "".
func NormZip(s, iso2 string) string {
	s = strings.ToLower(clip(s))
	if i := strings.IndexByte(s, '-'); i >= 0 {
		s = s[:i]
	}
	s = keep(s, func(r rune) bool { return !unicode.IsSpace(r) })
	if strings.EqualFold(iso2, "US") && len(s) > 5 && digits(s) == s {
		s = s[:5]
	}
	if len(s) < 2 {
		return ""
	}
	return s
}

// NormCountry returns the lower-case ISO 3166-1 alpha-2 code for an ISO
// code, an English name or a dialling code ("IN", "India", "+91" → "in").
func NormCountry(s string) string {
	if c, ok := country.Normalize(clip(s)); ok {
		return strings.ToLower(c)
	}
	return ""
}

// NormExternalID trims and lower-cases an identifier before hashing.
func NormExternalID(s string) string { return strings.ToLower(clip(s)) }

func keep(s string, ok func(rune) bool) string {
	var b strings.Builder
	for _, r := range s {
		if ok(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
