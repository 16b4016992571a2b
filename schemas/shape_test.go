package schemas

import (
	"bytes"
	"io"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// shapeFits walks the JSON object raw as a caller of Shape does; ok is
// false when raw is not a valid object.
func shapeFits(s *Shape, raw []byte) (fits, ok bool) {
	dec := jsontext.NewDecoder(bytes.NewReader(raw), decodeOpts...)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return false, false
	}
	var st ShapeState
	for dec.PeekKind() != '}' {
		name, err := ReadString(dec)
		if err != nil {
			return false, false
		}
		i, known := s.Prop([]byte(name))
		if !known {
			if dec.SkipValue() != nil {
				return false, false
			}
			continue
		}
		k, err := ReadKinds(dec)
		if err != nil {
			return false, false
		}
		st.Set(i, k)
	}
	if _, err := dec.ReadToken(); err != nil {
		return false, false
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return false, false // trailing data
	}
	return s.Fits(&st), true
}

// TestShapes checks which schemas have a Shape (every browser one), that
// the browser schemas' examples fit (but those with a pattern or a nested
// object, which only the library checks), and what Fits decides.
func TestShapes(t *testing.T) {
	for _, et := range Catalog() {
		typ, _ := Lookup(et.Source, et.Name)
		s := typ.Shape()
		if s == nil {
			if et.Source == br {
				t.Errorf("%s: no Shape", et.Name)
			}
			continue
		}
		fits, ok := shapeFits(s, et.Sample)
		want := et.Source == br && et.Name != "popin_rating_done" && et.Name != "popin_auto_captured"
		if !ok || want && !fits {
			t.Errorf("%s: sample %s: fits %v, ok %v", et.Name, et.Sample, fits, ok)
		}
	}
	for _, tc := range []struct {
		name, data string
		fits       bool
	}{
		{"nudge_show", `{"uid":"u","x":[{}]}`, true},
		{"nudge_show", `{"x":1}`, false},                   // uid required
		{"nudge_show", `{"uid":null}`, false},              // want string
		{"nudge_show", `{"uid":5,"uid":"u"}`, true},        // the last wins
		{"nudge_show", `{"uid":"u","uid":5}`, false},       //
		{"nudge_show", `{"UID":"u"}`, false},               // names are exact
		{"popin_call_end", `{"uid":"u","callId":7}`, true}, // string or integer
		{"popin_call_end", `{"uid":"u","callId":-7}`, true},
		{"popin_call_end", `{"uid":"u","callId":7.0}`, false}, // an integer to the library: it decides
		{"popin_call_end", `{"uid":"u","callId":7e0}`, false},
		{"popin_call_end", `{"uid":"u","invited":"yes"}`, false},
		{"popin_captured", `{"name":null,"email":"e","mobile":"m","note":{}}`, true},
		{"popin_captured", `{"name":{}}`, false},
		{"popin_rating_done", `{"uid":"u","rating":5}`, false}, // pattern: the library decides
		{"popin_auto_captured", `{"uid":"u"}`, true},
		{"popin_auto_captured", `{"uid":"u","captured":null}`, false}, // properties: the library decides
	} {
		typ, _ := Lookup(br, tc.name)
		fits, ok := shapeFits(typ.Shape(), []byte(tc.data))
		if !ok || fits != tc.fits {
			t.Errorf("%s %s: fits %v (ok %v), want %v", tc.name, tc.data, fits, ok, tc.fits)
		}
	}
	for doc, want := range map[string]bool{
		`{"type":"object","properties":{"a":{"type":"string"}}}`:       true,
		`{"type":"array","properties":{"a":{"type":"string"}}}`:        false,
		`{"properties":{"a":{"type":"string"}},"maxProperties":2}`:     false,
		`{"type":["object","null"],"properties":{"a":{"type":"nil"}}}`: true, // a: only the library
	} {
		if got := shapeOf([]byte(doc), relevantKeys([]byte(doc))) != nil; got != want {
			t.Errorf("shapeOf(%s) != nil is %v, want %v", doc, got, want)
		}
	}
}

// FuzzShape checks Shape's promise: when Fits says an object fits its
// event type's schema, Validate accepts it.
func FuzzShape(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"uid":"a","rating":4.5,"x":{"y":[1]}}`, `{"uid":1,"rating":"four","note":true}`,
		`{"uid":"u","callId":12,"invited":false}`, `{"name":null,"email":3,"uid":"u","UID":"v"}`,
		`{"uid":"u","callId":-0,"callId":"x"}`, `{"uid":"u","audio":true,"video":null}`,
	} {
		f.Add(uint8(0), []byte(s))
	}
	types := Catalog()
	f.Fuzz(func(t *testing.T, which uint8, raw []byte) {
		et := types[int(which)%len(types)]
		typ, _ := Lookup(et.Source, et.Name)
		if typ.Shape() == nil {
			return
		}
		fits, ok := shapeFits(typ.Shape(), raw)
		if !ok || !fits {
			return
		}
		if known, err := Validate(et.Source, et.Name, raw); !known || err != nil {
			t.Fatalf("%s %s: fits, but Validate = %v, %v", et.Name, raw, known, err)
		}
	})
}
