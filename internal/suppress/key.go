package suppress

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/piinorm"
)

// Identifier kinds.
const (
	KindUID   = "uid"
	KindAID   = "aid"
	KindEmail = "email"
	KindPhone = "phone"
)

// Key is the bucket key of an identifier of kind in its normal form on a
// site (see the package doc).
func Key(siteID, kind, norm string) string {
	return sitePrefix(siteID) + digest(siteID, kind, norm)
}

func sitePrefix(siteID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(siteID)) + "."
}

func digest(siteID, kind, norm string) string {
	h := sha256.New()
	h.Write([]byte(siteID))
	h.Write([]byte{0})
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(norm))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// siteOf returns the site id of a key, false for a malformed key.
func siteOf(key string) (string, bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == '.' {
			b, err := base64.RawURLEncoding.DecodeString(key[:i])
			return string(b), err == nil && i+1 < len(key)
		}
	}
	return "", false
}

// Normalise returns an identifier in the form its key is made of: e-mail
// and phone as for the PII hash (phones without a country code read in
// region), uid and aid as given; "" when it cannot be normalised.
func Normalise(kind, value, region string) string {
	switch kind {
	case KindEmail:
		return piinorm.Email(value)
	case KindPhone:
		return piinorm.Phone(value, region)
	}
	return value
}

// digests returns the key digests of every identifier ev carries: uid,
// aid, and the e-mail and phone values of its payload (members named as
// piinorm.Classify reads them, at any depth). A payload that is not JSON
// contributes nothing.
func digests(ev *event.Event, region string) []string {
	var out []string
	add := func(kind, value string) {
		if n := Normalise(kind, value, region); n != "" {
			out = append(out, digest(ev.SiteID, kind, n))
		}
	}
	if ev.UID != "" {
		add(KindUID, ev.UID)
	}
	if ev.AnonID != "" {
		add(KindAID, ev.AnonID)
	}
	if len(ev.Data) == 0 {
		return out
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(ev.Data))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return out
	}
	walk(doc, 0, add)
	return out
}

// maxDepth bounds the walk of a payload.
const maxDepth = 32

func walk(v any, depth int, add func(kind, value string)) {
	if depth > maxDepth {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		for k, m := range t {
			if s, ok := scalar(m); ok {
				switch piinorm.Classify(k) {
				case piinorm.KindEmail:
					add(KindEmail, s)
				case piinorm.KindPhone:
					add(KindPhone, s)
				}
				continue
			}
			walk(m, depth+1, add)
		}
	case []any:
		for _, m := range t {
			walk(m, depth+1, add)
		}
	}
}

// scalar is a string or number member's text.
func scalar(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	}
	return "", false
}
