package pii

import "strings"

// Identifier reports whether an object member name holds a visitor or
// session identifier (case- and separator-insensitive): uid, user_id,
// aid, anon_id, anonymous_id, sid, session_id, visitor_id, client_id,
// device_id, ip, ip_address, fbp, fbc, gclid, fbclid.
func Identifier(key string) bool {
	var buf [len("anonymous_id")]byte // the longest
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 0x80:
			return identifierSlow(key)
		case i >= len(buf):
			continue // too long, unless a later byte is not ASCII
		case c == '-' || c == ' ':
			c = '_'
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	if len(key) > len(buf) {
		return false
	}
	switch string(buf[:len(key)]) {
	case "uid", "user_id", "userid", "aid", "anon_id", "anonymous_id", "anonymousid", "sid", "session_id", "sessionid",
		"visitor_id", "client_id", "device_id", "ip", "ip_address", "fbp", "fbc", "gclid", "fbclid":
		return true
	}
	return false
}

// identifierSlow is Identifier for names with non-ASCII bytes (whose
// lower-case form may be ASCII: the Kelvin sign is a "k").
func identifierSlow(key string) bool {
	switch strings.ToLower(keyReplacer.Replace(key)) {
	case "uid", "user_id", "userid", "aid", "anon_id", "anonymous_id", "anonymousid", "sid", "session_id", "sessionid",
		"visitor_id", "client_id", "device_id", "ip", "ip_address", "fbp", "fbc", "gclid", "fbclid":
		return true
	}
	return false
}
