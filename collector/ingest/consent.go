package ingest

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
)

// ctx.consent on the wire: an object whose values are booleans or Google
// Consent Mode strings. The normalised form is event.Context.Consent, a map
// of booleans.

// consentString maps a Google Consent Mode value, in any case, to a
// boolean: "granted" → true, "denied" → false. ok is false for any other
// string.
func consentString(s string) (v, ok bool) {
	switch {
	case strings.EqualFold(s, "granted"):
		return true, true
	case strings.EqualFold(s, "denied"):
		return false, true
	}
	return false, false
}

// wireConsent is ctx.consent as the reference parser reads it. Per key, a
// boolean is kept, "granted"/"denied" (any case) becomes true/false, and
// any other value (null, another string such as an IAB TCF consent string,
// a number, an object, an array) removes the key: it states nothing bridge
// reads, and is never an error. As for any map encoding/json fills, a null
// consent clears it and a repeated one is merged into what was read before
// (the last value of a key wins). A consent that is not an object or null
// is an *json.UnmarshalTypeError.
type wireConsent map[string]bool

// UnmarshalJSON implements json.Unmarshaler.
func (c *wireConsent) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &json.UnmarshalTypeError{Value: te.Value, Type: reflect.TypeFor[wireConsent]()}
		}
		return err
	}
	if m == nil { // null
		*c = nil
		return nil
	}
	if *c == nil {
		*c = make(wireConsent, len(m))
	}
	for k, raw := range m {
		if v, ok := consentValue(raw); ok {
			(*c)[k] = v
		} else {
			delete(*c, k)
		}
	}
	return nil
}

// consentValue reads one consent value given as valid JSON text.
func consentValue(raw json.RawMessage) (v, ok bool) {
	switch {
	case len(raw) == 0:
		return false, false
	case string(raw) == "true":
		return true, true
	case string(raw) == "false":
		return false, true
	case raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return false, false
		}
		return consentString(s)
	}
	return false, false
}
