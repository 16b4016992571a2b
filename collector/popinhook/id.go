package popinhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// eventID derives a UUID (version 8, RFC 9562 variant) from the site id and
// the canonical form of the body (see canonical), so a resend of the same
// webhook gets the same id even when its bytes differ.
func eventID(siteID string, body []byte) string {
	h := sha256.New()
	h.Write([]byte("popinhook\x00"))
	h.Write([]byte(siteID))
	h.Write([]byte{0})
	h.Write(canonical(body))
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

// canonical is the JSON value body without the differences that do not
// change what it says: whitespace between tokens, the order of object
// members (sorted by name; of a repeated name the last is kept, as
// everywhere else), and how strings are escaped ("\u0041" is "A"). Numbers
// stay as written: 1 and 1.0 are different bodies. body that is not valid
// JSON is returned as it is.
func canonical(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return body
	}
	b, err := json.Marshal(v) // map keys sorted
	if err != nil {
		return body
	}
	return b
}
