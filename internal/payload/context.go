package payload

import (
	"slices"

	"github.com/popinbridge/bridge/internal/event"
)

// appendContext appends c as json.Marshal writes it (fields in declaration
// order, omitempty, map keys sorted, HTML-safe escaping) without
// reflection. TestAppendContextMatchesMarshal fails when event.Context
// gains a field, so this stays in step with the struct.
func appendContext(b []byte, c *event.Context) []byte {
	b = append(b, '{')
	n := len(b)
	str := func(b []byte, key, v string) []byte {
		if v == "" {
			return b
		}
		if len(b) > n {
			b = append(b, ',')
		}
		b = append(b, key...)
		return appendString(b, v)
	}
	b = str(b, `"url":`, c.URL)
	b = str(b, `"ref":`, c.Referrer)
	b = str(b, `"title":`, c.Title)
	if len(c.UTM) > 0 {
		if len(b) > n {
			b = append(b, ',')
		}
		b = append(b, `"utm":{`...)
		for i, k := range sortedKeys(c.UTM) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, c.UTM[k])
		}
		b = append(b, '}')
	}
	b = str(b, `"fbp":`, c.FBP)
	b = str(b, `"fbc":`, c.FBC)
	if len(c.Consent) > 0 {
		if len(b) > n {
			b = append(b, ',')
		}
		b = append(b, `"consent":{`...)
		for i, k := range sortedKeys(c.Consent) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			if c.Consent[k] {
				b = append(b, ":true"...)
			} else {
				b = append(b, ":false"...)
			}
		}
		b = append(b, '}')
	}
	b = str(b, `"user_id":`, c.UserID)
	b = str(b, `"ga_client_id":`, c.GAClientID)
	b = str(b, `"country":`, c.Country)
	b = str(b, `"ip":`, c.IP)
	b = str(b, `"ua":`, c.UserAgent)
	return append(b, '}')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
