package popinhook

import (
	"bytes"
	"encoding/json"
	"slices"
)

// withParsed returns the body as Data: unchanged (but copied) when nothing
// was parsed, else with "bridge_parsed" appended as the last top-level key.
// A bridge_parsed key already in the body is removed, so the one key
// downstream sees is ours.
func withParsed(body []byte, obj object, parsed map[string]string) json.RawMessage {
	_, clash := obj.get(parsedKey)
	if len(parsed) == 0 && !clash {
		return slices.Clone(bytes.TrimSpace(body))
	}
	var extra []byte
	if len(parsed) > 0 {
		p, err := json.Marshal(parsed) // map keys come out sorted
		if err != nil {
			return slices.Clone(bytes.TrimSpace(body))
		}
		extra = append([]byte(`"`+parsedKey+`":`), p...)
	}
	if !clash {
		// Insert before the closing brace, leaving every other byte as is.
		b := bytes.TrimSpace(body)
		out := make([]byte, 0, len(b)+len(extra)+1)
		out = append(out, b[:len(b)-1]...)
		if len(obj) > 0 {
			out = append(out, ',')
		}
		out = append(out, extra...)
		return append(out, '}')
	}
	// Rebuild the object without the incoming key; values stay byte-exact.
	var out bytes.Buffer
	out.WriteByte('{')
	n := 0
	for _, m := range obj {
		if m.key == parsedKey {
			continue
		}
		if n > 0 {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		out.Write(k)
		out.WriteByte(':')
		out.Write(m.raw)
		n++
	}
	if len(extra) > 0 {
		if n > 0 {
			out.WriteByte(',')
		}
		out.Write(extra)
	}
	out.WriteByte('}')
	return out.Bytes()
}
