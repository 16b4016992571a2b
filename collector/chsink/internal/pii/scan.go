package pii

import (
	"bytes"
	"errors"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
)

// mayContainPII is a fast pre-check: false only when no member name can be
// personal data. Escapes force the full check (a name may be escaped), and
// so do the two runes that Classify's Unicode lower-casing turns into ASCII
// letters (U+0130 'İ' → 'i', U+212A Kelvin sign → 'k'): "EMAİL" is an e-mail
// member. One pass over data, ignoring ASCII case.
func mayContainPII(data []byte, names bool) bool {
	for i, c := range data {
		if c >= 0xC4 && foldsToASCIIAt(data, i) {
			return true
		}
		switch c | 0x20 {
		case 'm':
			if hasFoldAt(data, i, "mail") || hasFoldAt(data, i, "mobile") || hasFoldAt(data, i, "msisdn") {
				return true
			}
		case 'p':
			if hasFoldAt(data, i, "phone") {
				return true
			}
		case 'n':
			if names && hasFoldAt(data, i, "name") {
				return true
			}
		case '\\' | 0x20:
			if c == '\\' {
				return true
			}
		}
	}
	return false
}

// foldsToASCIIAt reports whether b holds at i the UTF-8 encoding of a rune
// whose lower case is an ASCII letter (TestFoldsToASCIIIsComplete lists them).
func foldsToASCIIAt(b []byte, i int) bool {
	return bytes.HasPrefix(b[i:], []byte("\u0130")) || bytes.HasPrefix(b[i:], []byte("\u212A"))
}

// hasFoldAt reports whether needle (lower-case ASCII letters) occurs in b at
// i, ignoring ASCII case.
func hasFoldAt(b []byte, i int, needle string) bool {
	if len(b)-i < len(needle) {
		return false
	}
	for j := 0; j < len(needle); j++ {
		if b[i+j]|0x20 != needle[j] {
			return false
		}
	}
	return true
}

// compact returns data without insignificant whitespace, validating it.
// When data is already compact the result shares its memory (no copy):
// event payloads are immutable once in the log (see package event).
func compact(data []byte) (string, error) {
	if !hasSpace(data) {
		if !jsontext.Value(data).IsValid(opts...) {
			return "", ErrInvalid
		}
		return unsafe.String(unsafe.SliceData(data), len(data)), nil
	}
	v := jsontext.Value(bytes.Clone(data))
	if err := v.Compact(opts...); err != nil {
		return "", errors.Join(ErrInvalid, err)
	}
	return string(v), nil
}

func hasSpace(b []byte) bool {
	for _, c := range b {
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			return true
		}
	}
	return false
}
