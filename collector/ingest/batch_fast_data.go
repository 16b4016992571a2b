package ingest

import (
	"bytes"
	"sync"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/schemas"
)

// The fast parser's reading of an event's data object.

// readData reads data: an object is kept as the raw bytes it spans and
// checked or decoded for validation; anything else is kept raw for
// finishItem to judge.
//
// When the event's name is known by now and its schema has a Shape, data
// is only walked: each property the schema constrains is classified by
// its JSON type, and when the shape fits, the item needs no validation
// (decodedData.fits) and nothing is decoded but data.uid. Otherwise, and
// when the shape does not fit, the value holds only the properties the
// schema can constrain (schemas.RelevantKeys), for the library to judge.
// Either notes the name: finishItem drops a verdict or value reduced for
// another name.
func (st *entryState) readData(dec *jsontext.Decoder, raw []byte, w *wireItem) error {
	if dec.PeekKind() != '{' {
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		end := int(dec.InputOffset())
		w.Data = raw[end-len(v) : end]
		st.data, st.rawOnly = decodedData{}, false
		return nil
	}
	t, need := needsValue(w)
	if !need {
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		end := int(dec.InputOffset())
		w.Data = raw[end-len(v) : end]
		st.data, st.rawOnly = decodedData{}, true
		return nil
	}
	if t != nil && t.Shape() != nil {
		return st.walkData(dec, raw, w, t)
	}
	var keys map[string]string
	if t != nil {
		keys = t.RelevantKeys()
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	start := int(dec.InputOffset()) - 1
	m, uid, err := decodeData(dec, keys)
	if err != nil {
		return err
	}
	w.Data = raw[start:dec.InputOffset()]
	st.data, st.rawOnly = decodedData{value: m}, false
	st.data.uid, st.data.uidErr = uidText(uid)
	if keys != nil {
		st.data.reducedFor, st.data.pooled = w.Name, true
	}
	return nil
}

// walkData reads the data object at dec for t's Shape; see readData.
func (st *entryState) walkData(dec *jsontext.Decoder, raw []byte, w *wireItem, t *schemas.EventType) error {
	shape := t.Shape()
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	start := int(dec.InputOffset()) - 1
	var ss schemas.ShapeState
	var uid string
	var uidErr error
	for dec.PeekKind() != '}' {
		name, err := readName(dec) // valid until the next read
		if err != nil {
			return err
		}
		i, rel := shape.Prop(name)
		if bytes.EqualFold(name, []byte("uid")) {
			var k schemas.Kinds
			if k, uid, uidErr, err = st.readUID(dec); err != nil {
				return err
			}
			if rel {
				ss.Set(i, k)
			}
			continue
		}
		if !rel {
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		k, err := schemas.ReadKinds(dec)
		if err != nil {
			return err
		}
		ss.Set(i, k)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	w.Data = raw[start:dec.InputOffset()]
	st.data, st.rawOnly = decodedData{uid: uid, uidErr: uidErr, reducedFor: w.Name, fits: true}, false
	if !shape.Fits(&ss) {
		// Rare: the library names the problem, from the relevant value.
		st.data.fits = false
		st.data.value, st.data.pooled = decodeReduced(w.Data, t.RelevantKeys()), true
	}
	return nil
}

// readUID reads the value of data.uid: its kinds and, as uidText gives
// them, its text or what is wrong with it.
func (st *entryState) readUID(dec *jsontext.Decoder) (k schemas.Kinds, text string, bad, err error) {
	switch dec.PeekKind() {
	case '"':
		b, err := readName(dec)
		if err != nil {
			return 0, "", nil, err
		}
		return schemas.KindString, st.recent.str(b), nil, nil
	case '0':
		v, err := dec.ReadValue()
		if err != nil {
			return 0, "", nil, err
		}
		return schemas.NumberKinds(v), string(v), nil, nil
	}
	k, err = schemas.ReadKinds(dec)
	if k != schemas.KindNull {
		_, bad = uidText(false) // neither a string, a number nor null
	}
	return k, "", bad, err
}

// decodeData decodes the rest of the object whose '{' dec has read
// (keeping only keys, when not nil) and returns it with the value of its
// last property folding to "uid". The map is from dataMaps when keys is
// not nil.
func decodeData(dec *jsontext.Decoder, keys map[string]string) (map[string]any, any, error) {
	var m map[string]any
	if keys != nil {
		m = getDataMap()
	} else {
		m = make(map[string]any)
	}
	var uid any
	for dec.PeekKind() != '}' {
		name, err := readName(dec) // valid until the next read
		if err != nil {
			return nil, nil, err
		}
		isUID := bytes.EqualFold(name, []byte("uid"))
		var k string
		keep := true
		if keys != nil {
			k, keep = keys[string(name)]
		} else {
			k = string(name)
		}
		if !keep && !isUID {
			if err := dec.SkipValue(); err != nil {
				return nil, nil, err
			}
			continue
		}
		v, err := schemas.DecodeValue(dec)
		if err != nil {
			return nil, nil, err
		}
		if keep {
			m[k] = v
		}
		if isUID {
			uid = v
		}
	}
	_, err := dec.ReadToken()
	return m, uid, err
}

// decodeReduced decodes the object data, already read once (so valid),
// keeping only keys; the map is from dataMaps.
func decodeReduced(data []byte, keys map[string]string) map[string]any {
	p := getDecoder(data)
	var m map[string]any
	_, err := p.dec.ReadToken() // '{'
	if err == nil {
		m, _, err = decodeData(p.dec, keys)
	}
	putDecoder(p)
	if err != nil { // unreachable: data was read before
		return getDataMap()
	}
	return m
}

// knownNames maps the name and aliases of every browser event with a
// schema to themselves, so that reading one allocates nothing.
var knownNames = sync.OnceValue(func() map[string]string {
	m := make(map[string]string)
	for _, t := range schemas.Catalog() {
		if t.Source == event.SourceBrowser {
			for _, n := range append([]string{t.Name}, t.Aliases...) {
				m[n] = n
			}
		}
	}
	return m
})

// needsValue reports whether an entry's data may need checking or its
// decoded value: not when what was read so far names an event no schema
// describes (a custom event, an unknown name). Should a later field change
// that, the item is simply not decoded and prepare validates Data's text
// instead. t, when not nil, is the event type the name read so far names.
func needsValue(w *wireItem) (t *schemas.EventType, need bool) {
	switch w.Src {
	case "", string(event.SourceBrowser):
	default:
		return nil, false // custom events have no schemas; anything else is rejected
	}
	if w.Name == "" {
		return nil, true // the name may follow
	}
	t, ok := schemas.Lookup(event.SourceBrowser, w.Name)
	if !ok {
		return nil, false
	}
	return t, true
}
