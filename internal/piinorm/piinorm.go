// Package piinorm is the one normal form of personal data in bridge: the
// ClickHouse sink stores, and the Conversions API sends, the SHA-256 of
// exactly these strings, so that a hash in ClickHouse equals the hash Meta
// received for the same input.
//
// The rules are Meta's (customer information parameters): e-mail trimmed
// and lower-cased, phone as E.164 digits without "+", names, cities and
// states lower-case letters only, and so on. A value that cannot be
// normalised gives "", and Hash("") is "", so nothing malformed is hashed.
// Phone numbers written without a country code are read in the region
// PhoneRegion chooses.
package piinorm

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unsafe"
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

// AppendHash appends Hash(s) to dst without allocating (given room).
func AppendHash(dst []byte, s string) []byte {
	if s == "" {
		return dst
	}
	sum := sha256.Sum256(unsafe.Slice(unsafe.StringData(s), len(s))) // read only
	return hex.AppendEncode(dst, sum[:])
}

// clip trims and bounds a raw value.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxField {
		s = s[:maxField]
	}
	return s
}

// digits returns the ASCII digits of s.
func digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// keep returns the runes of s for which ok holds.
func keep(s string, ok func(rune) bool) string {
	var b strings.Builder
	for _, r := range s {
		if ok(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
