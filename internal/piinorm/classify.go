package piinorm

import (
	"strings"
	"unsafe"
)

// Kind is the personal-data category of an object member name.
type Kind uint8

// Categories of Classify.
const (
	KindNone Kind = iota
	KindEmail
	KindPhone
	KindName
)

var keyReplacer = strings.NewReplacer("-", "_", " ", "_")

// Classify returns the category of an object member name (case- and
// separator-insensitive): "email", "customer_email", "agentEmail" are
// e-mails; "mobile", "phone_number", "full_phone_number" phones (but not
// "phone_country_code"); "name", "customer_name", "first_name" names.
func Classify(key string) Kind {
	var buf [64]byte
	var k string
	if len(key) <= len(buf) && isASCII(key) {
		for i := 0; i < len(key); i++ {
			c := key[i]
			switch {
			case c == '-' || c == ' ':
				c = '_'
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			}
			buf[i] = c
		}
		k = unsafe.String(&buf[0], len(key)) // used only in this call
	} else {
		k = strings.ToLower(keyReplacer.Replace(key))
	}
	switch {
	case strings.HasSuffix(k, "email") || strings.HasSuffix(k, "e_mail"):
		return KindEmail
	case (strings.Contains(k, "phone") || strings.Contains(k, "mobile") || k == "msisdn") &&
		!strings.Contains(k, "country") && !strings.Contains(k, "code") && !strings.Contains(k, "verified"):
		return KindPhone
	}
	switch k {
	case "name", "full_name", "fullname", "first_name", "firstname", "last_name", "lastname",
		"customer_name", "customername", "agent_name", "guest_agent_name", "display_name":
		return KindName
	}
	return KindNone
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
