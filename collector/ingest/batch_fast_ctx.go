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
		case bytes.EqualFold(name, []byte("user_id")):
			err = st.str(dec, &c.UserID)
		case bytes.EqualFold(name, []byte("ga_client_id")):
			err = st.str(dec, &c.GA)
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
	return readObject(st, dec, &c.UTM, func(string) (string, bool, error) {
		var v string
		err := st.str(dec, &v)
		return v, true, err
	})
}

// consent reads ctx.consent as wireConsent.UnmarshalJSON does: booleans
// and "granted"/"denied" are kept, any other value removes its key; "tcf"
// goes through setTCF.
func (st *entryState) consent(dec *jsontext.Decoder, c *wireContext) error {
	return readObject(st, dec, &c.Consent, func(k string) (bool, bool, error) {
		if k == tcfKey {
			if dec.PeekKind() != '"' {
				setTCF(c.Consent, "", false)
				return false, false, dec.SkipValue()
			}
			s, err := schemas.ReadString(dec)
			if err != nil {
				return false, false, err
			}
			setTCF(c.Consent, s, true)
			return false, false, nil
		}
		if tcfDerived(k) { // ignored: what is there stays
			v, had := c.Consent[k]
			return v, had, dec.SkipValue()
		}
		switch dec.PeekKind() {
		case 't', 'f':
			tok, err := dec.ReadToken()
			if err != nil {
				return false, false, err
			}
			return tok.Bool(), true, nil
		case '"':
			s, err := schemas.ReadString(dec)
			if err != nil {
				return false, false, err
			}
			v, ok := consentString(s)
			return v, ok, nil
		default:
			return false, false, dec.SkipValue()
		}
	})
}

// readObject reads a JSON object into *m, each value with read, which says
// whether to keep it (a value not kept removes its key); a null object
// clears the map and anything else but an object marks the entry bad (it
// falls back to the reference parser).
func readObject[M ~map[string]V, V any](st *entryState, dec *jsontext.Decoder, m *M, read func(key string) (V, bool, error)) error {
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
		*m = make(M)
	}
	for dec.PeekKind() != '}' {
		b, err := readName(dec) // valid until the next read
		if err != nil {
			return err
		}
		k := st.recent.str(b)
		v, keep, err := read(k)
		if err != nil {
			return err
		}
		if keep {
			(*m)[k] = v
		} else {
			delete(*m, k)
		}
	}
	_, err := dec.ReadToken()
	return err
}
