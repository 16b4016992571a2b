package piinorm

import (
	"strings"
	"unicode"

	"github.com/popinbridge/bridge/internal/country"
)

// Email follows Meta: trim, lower-case. Values that are not plausibly an
// e-mail (one '@', something on both sides, a dot in the domain, no spaces)
// give "".
func Email(s string) string {
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

// Name follows Meta for fn and ln: lower case, UTF-8 letters and digits
// only (accents kept: "Valéry" → "valéry"); spaces, symbols and punctuation
// are removed ("O'Brien" → "obrien").
func Name(s string) string {
	return keep(strings.ToLower(clip(s)), func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)
	})
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

// City follows Meta for ct: lower case, letters of any script only
// ("New York" → "newyork").
func City(s string) string {
	return keep(strings.ToLower(clip(s)), func(r rune) bool { return unicode.IsLetter(r) || unicode.IsMark(r) })
}

// State follows Meta for st: lower case, letters only ("CA" → "ca").
func State(s string) string { return City(s) }

// Zip follows Meta for zp: lower case, no spaces, the part before a dash;
// US codes (iso2 "US") are cut to their first 5 digits. Fewer than 2
// characters give "".
func Zip(s, iso2 string) string {
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

// Country returns the lower-case ISO 3166-1 alpha-2 code for an ISO code,
// an English name or a dialling code ("IN", "India", "+91" → "in"), or "".
func Country(s string) string {
	if c, ok := country.Normalize(clip(s)); ok {
		return strings.ToLower(c)
	}
	return ""
}

// ExternalID trims and lower-cases an identifier.
func ExternalID(s string) string { return strings.ToLower(clip(s)) }
