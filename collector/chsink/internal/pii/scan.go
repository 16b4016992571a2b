package pii

import (
	"bytes"
	"errors"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
)

// mayContainPII is a fast pre-check: false only when no member name can be
// personal data. Escapes force the full check (a name may be escaped). One
// pass over data, ignoring ASCII case.
func mayContainPII(data []byte, names bool) bool {
	for i, c := range data {
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
