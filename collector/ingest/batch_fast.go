package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// jsontextOpts make jsontext accept what encoding/json accepts: repeated
// names (the last wins) and lone surrogate escapes (U+FFFD); raw bytes are
// already known to be valid UTF-8.
var jsontextOpts = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// decoders recycles jsontext decoders with the buffer each reads. Reading
// a bytes.Buffer, a decoder parses the caller's bytes in place, so offsets
// index raw.
var decoders = sync.Pool{New: func() any { return new(pooledDecoder) }}

type pooledDecoder struct {
	dec    *jsontext.Decoder
	buf    bytes.Buffer
	recent recentStrings // parseFast's, for one frame
}

// getDecoder returns a decoder reading raw, to be handed back with
// putDecoder.
func getDecoder(raw []byte) *pooledDecoder {
	p := decoders.Get().(*pooledDecoder)
	p.buf = *bytes.NewBuffer(raw)
	if p.dec == nil {
		p.dec = jsontext.NewDecoder(&p.buf, jsontextOpts...)
	} else {
		p.dec.Reset(&p.buf, jsontextOpts...)
	}
	return p
}

// putDecoder recycles p, which no longer refers to the bytes it read nor
// to strings made from them.
func putDecoder(p *pooledDecoder) {
	p.buf = bytes.Buffer{}
	p.dec.Reset(&p.buf)
	p.recent = recentStrings{}
	decoders.Put(p)
}

// parseFast decodes a well-formed frame in one jsontext pass: it walks every
// entry's fields, and reads each entry's data once, both as the raw bytes
// stored (Item.Data, a slice of raw) and for validation: checked against
// its schema's Shape (Item.fits) or decoded to the value the schemas
// validate (Item.value); see readData. It matches names case-insensitively
// as encoding/json does.
//
// It returns ok == false, having produced nothing, when the frame is not
// JSON of the form {…"batch":[…]…} with a single batch; then parseStd
// decides. An entry with a field of the wrong type is handed to parseItem,
// which names the field as encoding/json does. hint sizes the result; huge
// false says that raw holds no number checkNumbers could refuse.
func parseFast(raw []byte, lim Limits, hint int, huge bool) (items []Item, ok bool) {
	p := getDecoder(raw)
	defer putDecoder(p)
	dec := p.dec
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, false
	}
	found := false
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return nil, false
		}
		if !strings.EqualFold(name.String(), "batch") {
			if dec.SkipValue() != nil {
				return nil, false
			}
			continue
		}
		if found || dec.PeekKind() != '[' {
			return nil, false
		}
		found = true
		if items, ok = parseEntries(dec, raw, lim, hint, huge, &p.recent); !ok {
			return nil, false
		}
	}
	if _, err := dec.ReadToken(); err != nil || !found {
		return nil, false
	}
	if dec.PeekKind() != 0 {
		return nil, false
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, false
	}
	return dedupItems(items), true
}

// parseEntries reads the batch array.
func parseEntries(dec *jsontext.Decoder, raw []byte, lim Limits, hint int, huge bool, recent *recentStrings) ([]Item, bool) {
	if _, err := dec.ReadToken(); err != nil { // '['
		return nil, false
	}
	items := make([]Item, 0, hint)
	for dec.PeekKind() != ']' {
		if len(items) == lim.MaxEventsPerBatch {
			return nil, false
		}
		it, ok := parseEntry(dec, raw, lim, huge, recent)
		if !ok {
			return nil, false
		}
		items = append(items, it)
	}
	_, err := dec.ReadToken() // ']'
	return items, err == nil
}

// entryState is what parseEntry gathers besides the wire fields.
type entryState struct {
	bad     bool   // a field of the wrong type: parseItem decides
	lastID  string // the last "id" when it was a string, for peekID
	idIsStr bool
	data    decodedData
	rawOnly bool           // data is an object left undecoded: no schema applies
	recent  *recentStrings // the frame's, shared by its entries
}

// parseEntry reads one entry. ok is false on a syntax error only.
func parseEntry(dec *jsontext.Decoder, raw []byte, lim Limits, huge bool, recent *recentStrings) (Item, bool) {
	if dec.PeekKind() != '{' {
		v, err := dec.ReadValue()
		if err != nil {
			return Item{}, false
		}
		if len(v) > lim.MaxEventBytes {
			return tooLarge(len(v), "", lim), true
		}
		return Item{Reject: &Reject{Code: CodeInvalidEvent, Error: "event: want an object"}}, true
	}
	if _, err := dec.ReadToken(); err != nil {
		return Item{}, false
	}
	start := int(dec.InputOffset()) - 1
	var w wireItem
	st := entryState{recent: recent}
	for dec.PeekKind() != '}' {
		name, err := readName(dec)
		if err != nil {
			return Item{}, false
		}
		if err := st.field(dec, raw, &w, name); err != nil {
			return Item{}, false
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return Item{}, false
	}
	end := int(dec.InputOffset())
	if end-start > lim.MaxEventBytes {
		id := ""
		if st.idIsStr {
			id = safeID(st.lastID)
		}
		return tooLarge(end-start, id, lim), true
	}
	if st.bad {
		return parseItem(raw[start:end], lim), true
	}
	if st.rawOnly {
		return finishItem(&w, nil, huge), true // reads data.uid from the text
	}
	return finishItem(&w, &st.data, huge), true
}

func tooLarge(n int, id string, lim Limits) Item {
	return Item{ID: id, Reject: &Reject{Code: CodeTooLarge,
		Error: fmt.Sprintf("event of %d bytes exceeds %d", n, lim.MaxEventBytes)}}
}

// field reads the value of one entry member into w.
func (st *entryState) field(dec *jsontext.Decoder, raw []byte, w *wireItem, name []byte) error {
	switch {
	case bytes.EqualFold(name, []byte("id")):
		st.idIsStr = dec.PeekKind() == '"'
		err := st.strIn(dec, &w.ID, nil, false) // unique: not worth remembering
		st.lastID = w.ID
		return err
	case bytes.EqualFold(name, []byte("name")):
		return st.strIn(dec, &w.Name, knownNames(), true)
	case bytes.EqualFold(name, []byte("sid")):
		return st.str(dec, &w.SID)
	case bytes.EqualFold(name, []byte("aid")):
		return st.str(dec, &w.AID)
	case bytes.EqualFold(name, []byte("src")):
		return st.str(dec, &w.Src)
	case bytes.EqualFold(name, []byte("ts")):
		switch dec.PeekKind() {
		case 'n':
			w.hasTS = false
			_, err := dec.ReadToken()
			return err
		case '0':
			tok, err := dec.ReadToken()
			if err != nil {
				return err
			}
			f, perr := strconv.ParseFloat(tok.String(), 64)
			if perr != nil {
				st.bad = true
			}
			w.ts, w.hasTS = f, true
			return nil
		}
	case bytes.EqualFold(name, []byte("seq")):
		switch dec.PeekKind() {
		case 'n':
			_, err := dec.ReadToken()
			return err
		case '0':
			tok, err := dec.ReadToken()
			if err != nil {
				return err
			}
			n, perr := strconv.ParseInt(tok.String(), 10, 64)
			if perr != nil {
				st.bad = true
			}
			w.Seq = n
			return nil
		}
	case bytes.EqualFold(name, []byte("data")):
		return st.readData(dec, raw, w)
	case bytes.EqualFold(name, []byte("ctx")):
		return st.ctx(dec, &w.Ctx)
	default:
		return dec.SkipValue()
	}
	st.bad = true // ts or seq of another type
	return dec.SkipValue()
}

// recentStrings remembers the last strings read from a frame, so that a
// value repeated across its events (session, page, campaign, visitor) is
// allocated once per frame rather than once per event.
type recentStrings struct {
	s    [16]string
	next int
}

// str returns b as a string, one remembered when equal.
func (r *recentStrings) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	for _, s := range r.s {
		if s == string(b) {
			return s
		}
	}
	s := string(b)
	r.s[r.next] = s
	r.next = (r.next + 1) % len(r.s)
	return s
}

// readName reads an object name, unescaped. The result is only valid until
// the next read from dec.
func readName(dec *jsontext.Decoder) ([]byte, error) {
	v, err := dec.ReadValue()
	if err != nil {
		return nil, err
	}
	if len(v) < 2 || v[0] != '"' {
		return nil, errors.New("want an object name")
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1], nil // raw is valid UTF-8
	}
	b, _ := jsontext.AppendUnquote(nil, v) // a lone surrogate becomes U+FFFD
	return b, nil
}

// str reads a string field: null leaves it as it was, as in encoding/json.
func (st *entryState) str(dec *jsontext.Decoder, dst *string) error {
	return st.strIn(dec, dst, nil, true)
}

// strIn is str taking the string from known, when there, or with share
// from the frame's recent strings, instead of allocating it.
func (st *entryState) strIn(dec *jsontext.Decoder, dst *string, known map[string]string, share bool) error {
	switch dec.PeekKind() {
	case '"':
		b, err := readName(dec) // the same unquoting, for any string
		if err != nil {
			return err
		}
		if s, ok := known[string(b)]; ok {
			*dst = s
		} else if share {
			*dst = st.recent.str(b)
		} else {
			*dst = string(b)
		}
		return nil
	case 'n':
		_, err := dec.ReadToken()
		return err
	}
	st.bad = true
	return dec.SkipValue()
}
