package ingest

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"

	"github.com/popinbridge/bridge/internal/consent"
)

// ctx.consent on the wire: an object whose values are booleans or Google
// Consent Mode strings, and "tcf", an IAB TCF v2 consent string. The
// normalised form is event.Context.Consent, a map of booleans.

// tcfKey is the ctx.consent key of an IAB TCF v2 consent string.
const tcfKey = "tcf"

// tcfDerived reports whether k is a key only setTCF writes: sent on the
// wire it is ignored (neither kept nor removing anything).
func tcfDerived(k string) bool {
	return k == consent.TCFFunctional || k == consent.TCFAnalytics || k == consent.TCFAds
}

// setTCF applies ctx.consent.tcf (its raw JSON value) to c: a TC string
// consent.DecodeTCF reads sets the keys tcf_functional, tcf_analytics and
// tcf_ads (consent.TCFKeys); any other value removes them. The "tcf" key
// itself is never kept.
func setTCF(c map[string]bool, s string, isString bool) {
	keys, ok := consent.TCFKeys(s)
	for _, k := range []string{consent.TCFFunctional, consent.TCFAnalytics, consent.TCFAds} {
		if isString && ok {
			c[k] = keys[k]
		} else {
			delete(c, k)
		}
	}
	delete(c, tcfKey)
}

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
// any other value (null, another string, a number, an object, an array)
// removes the key: it states nothing bridge reads, and is never an error.
// The key "tcf" is read by setTCF; the keys it derives are ignored when
// sent. As for any map encoding/json fills, a null
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
		if tcfDerived(k) {
			continue
		}
		if k == tcfKey {
			var s string
			isString := len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil
			setTCF(*c, s, isString)
			continue
		}
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
