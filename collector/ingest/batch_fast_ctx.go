package ingest

import (
	"bytes"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/popinbridge/bridge/schemas"
)

// The fast parser's reading of an event's ctx object.

// ctx reads the context object into c, as encoding/json would (a repeated
// ctx or map is merged into what was read before).
func (st *entryState) ctx(dec *jsontext.Decoder, c *wireContext) error {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '{':
	default:
		st.bad = true
		return dec.SkipValue()
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		name, err := readName(dec)
		if err != nil {
			return err
		}
		switch {
		case bytes.EqualFold(name, []byte("url")):
			err = st.str(dec, &c.URL)
		case bytes.EqualFold(name, []byte("ref")):
			err = st.str(dec, &c.Ref)
		case bytes.EqualFold(name, []byte("title")):
			err = st.str(dec, &c.Title)
		case bytes.EqualFold(name, []byte("fbp")):
			err = st.str(dec, &c.FBP)
		case bytes.EqualFold(name, []byte("fbc")):
			err = st.str(dec, &c.FBC)
		case bytes.EqualFold(name, []byte("utm")):
			err = st.utm(dec, c)
		case bytes.EqualFold(name, []byte("consent")):
			err = st.consent(dec, c)
		default:
			err = dec.SkipValue()
		}
		if err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// utm reads an object of strings (null entries become "", a null object
// clears the map).
func (st *entryState) utm(dec *jsontext.Decoder, c *wireContext) error {
	return readObject(st, dec, &c.UTM, func(v *string) error { return st.str(dec, v) })
}

// consent reads an object of booleans (null entries become false, a null
// object clears the map).
func (st *entryState) consent(dec *jsontext.Decoder, c *wireContext) error {
	return readObject(st, dec, &c.Consent, func(v *bool) error {
		switch dec.PeekKind() {
		case 't', 'f':
			b, err := dec.ReadToken()
			if err != nil {
				return err
			}
			*v = b.Bool()
			return nil
		case 'n':
			_, err := dec.ReadToken()
			return err
		default:
			st.bad = true
			return dec.SkipValue()
		}
	})
}

// readObject reads a JSON object into *m, each value with read; a null
// object clears the map and anything else but an object marks the entry
// bad (it falls back to the reference parser).
func readObject[V any](st *entryState, dec *jsontext.Decoder, m *map[string]V, read func(*V) error) error {
	switch dec.PeekKind() {
	case 'n':
		*m = nil
		_, err := dec.ReadToken()
		return err
	case '{':
	default:
		st.bad = true
		return dec.SkipValue()
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	if *m == nil {
		*m = make(map[string]V)
	}
	for dec.PeekKind() != '}' {
		k, err := schemas.ReadString(dec)
		if err != nil {
			return err
		}
		var v V
		if err := read(&v); err != nil {
			return err
		}
		(*m)[k] = v
	}
	_, err := dec.ReadToken()
	return err
}
