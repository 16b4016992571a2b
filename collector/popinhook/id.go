package popinhook

import (
	"crypto/sha256"
	"encoding/hex"
)

// eventID derives a UUID (version 8, RFC 9562 variant) from the site id and
// the exact body bytes, so an unchanged resend gets the same id.
func eventID(siteID string, body []byte) string {
	h := sha256.New()
	h.Write([]byte("popinhook\x00"))
	h.Write([]byte(siteID))
	h.Write([]byte{0})
	h.Write(body)
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x80 // version 8
	u[8] = u[8]&0x3f | 0x80 // variant 10
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}
