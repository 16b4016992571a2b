package piinorm

import (
	"strings"
	"unsafe"

	"github.com/nyaruka/phonenumbers"
)

// Phone returns the number as E.164 digits without "+" (Meta: "remove
// symbols, letters and any leading zeros; must include a country code"),
// or "" when raw is not plausibly a phone number. The result holds only
// ASCII digits.
//
// raw is parsed with libphonenumber: an international number ("+44 (0)20
// 7946 0958", "(+1) 650-253-0000", "00 91 98765 43210" where 00 is region's
// international prefix) keeps its country code and loses a trunk prefix
// written after it; a national one ("020 7946 0958") is read in region
// (ISO alpha-2, see PhoneRegion); an extension is dropped. A number
// libphonenumber cannot make sense of falls back to its digits without
// leading zeros, or "" when that is not 7 to 15 digits long.
func Phone(raw, region string) string {
	raw = clip(raw)
	if raw == "" {
		return ""
	}
	region = strings.ToUpper(region)
	var buf [64 + maxField]byte
	key := append(buf[:0], region...) // on the stack unless region is long
	key = append(append(key, 0), raw...)
	return phones.get(unsafe.String(unsafe.SliceData(key), len(key)), func() string { return parsePhone(raw, region) })
}

// phones remembers recent results of parsePhone: a lead's number comes
// back in the events that follow its capture, and libphonenumber's parse
// is the costliest step of storing an event.
var phones = newMemo(1024)

// parsePhone is Phone of a clipped raw and an upper-case region.
func parsePhone(raw, region string) string {
	if num, err := phonenumbers.Parse(raw, region); err == nil && phonenumbers.IsPossibleNumber(num) {
		if e164 := strings.TrimPrefix(phonenumbers.Format(num, phonenumbers.E164), "+"); isDigits(e164) {
			return e164
		}
	}
	d := strings.TrimLeft(digits(raw), "0")
	if len(d) < 7 || len(d) > 15 {
		return ""
	}
	return d
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
