package piicrypt

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// OpenJSON returns doc with every sealed string value, at any depth,
// replaced by its plaintext. Values that do not open are left sealed and
// counted in failed. Member order is kept.
func (b *Box) OpenJSON(doc []byte) (out []byte, failed int, err error) {
	if !bytes.Contains(doc, []byte(Prefix)) {
		return doc, 0, nil
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var buf bytes.Buffer
	if err := b.copyValue(dec, &buf, &failed); err != nil {
		return nil, failed, fmt.Errorf("piicrypt: %w", err)
	}
	return buf.Bytes(), failed, nil
}

func (b *Box) copyValue(dec *json.Decoder, w *bytes.Buffer, failed *int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		w.WriteByte(byte(t))
		closing := byte(']')
		if t == '{' {
			closing = '}'
		}
		for i := 0; dec.More(); i++ {
			if i > 0 {
				w.WriteByte(',')
			}
			if t == '{' {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				writeJSON(w, key)
				w.WriteByte(':')
			}
			if err := b.copyValue(dec, w, failed); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return err
		}
		w.WriteByte(closing)
	case string:
		if IsSealed(t) {
			if plain, err := b.Open(t); err == nil {
				t = plain
			} else {
				*failed++
			}
		}
		writeJSON(w, t)
	default:
		writeJSON(w, t)
	}
	return nil
}

func writeJSON(w *bytes.Buffer, v any) {
	b, _ := json.Marshal(v)
	w.Write(b)
}
