package schemas

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/popinbridge/bridge/internal/event"
)

// FuzzDecode checks that decode (jsontext) accepts exactly what
// encoding/json accepts and yields the same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, `0`, `-1.5e+10`, `"x"`, `true`, ` {"a":1} `,
		`{"a":1,"a":[1,"2",null,false]}`, `{"a":1} x`, `{"a":1}{}`, `{"a":}`,
		`"\ud800"`, `"\ud800\udc00"`, `"\u00e9\n\t\/"`, "\"\xff\xfe\"", `[1,]`, `01`, `1.`, `"a` + "\x01" + `"`,
		string(benchPayload),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		want, werr := decodeStd(raw)
		got, gerr := decode(raw)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: encoding/json err %v, decode err %v", raw, werr, gerr)
		}
		if werr != nil {
			if werr.Error() != gerr.Error() {
				t.Fatalf("%q: error %q, want %q", raw, gerr, werr)
			}
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: decoded %#v, want %#v", raw, got, want)
		}
	})
}

// TestValidateValueMatchesValidate checks that validating a decoded value
// gives what validating its text gives.
func TestValidateValueMatchesValidate(t *testing.T) {
	type tc struct {
		source event.Source
		name   string
		data   string
	}
	cases := []tc{
		{br, "popin_rating_done", `{"uid":"a","rating":4.5}`},
		{br, "popin_rating_done", `{"uid":"a","rating":"four"}`},
		{br, "popin_rating_done", `{}`},
		{br, "nudge_close", `[]`},
		{ps, "popin_call_successful", `{"event":"popin_call_missed"}`},
		{ps, "popin_user_captured", string(benchPayload)},
		{br, "popin_something_new", `{"uid":"u"}`},
	}
	for _, et := range Catalog() {
		cases = append(cases, tc{et.Source, et.Name, string(et.Sample)})
	}
	for _, c := range cases {
		v, err := decode([]byte(c.data))
		if err != nil {
			t.Fatal(err)
		}
		k1, e1 := Validate(c.source, c.name, json.RawMessage(c.data))
		k2, e2 := ValidateValue(c.source, c.name, v)
		if k1 != k2 || fmt.Sprint(e1) != fmt.Sprint(e2) {
			t.Errorf("%s %s: Validate = %v, %v; ValidateValue = %v, %v", c.name, c.data, k1, e1, k2, e2)
		}
	}
}

// FuzzValidateRelevant checks RelevantKeys' promise: validating an object
// reduced to its relevant keys gives what validating the whole payload
// gives, for every known event type.
func FuzzValidateRelevant(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"uid":"a","rating":4.5,"x":{"y":[1]}}`, `{"uid":1,"rating":"four","note":true}`,
		`{"event":"popin_call_missed","extra":null}`, `{"name":null,"email":3,"uid":"u","UID":"v"}`,
		string(benchPayload),
	} {
		f.Add(uint8(0), []byte(s))
	}
	types := Catalog()
	f.Fuzz(func(t *testing.T, which uint8, raw []byte) {
		et := types[int(which)%len(types)]
		v, err := decode(raw)
		if err != nil {
			return
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		keys := et.RelevantKeys()
		if keys == nil {
			t.Skipf("%s: every key is relevant", et.Name)
		}
		reduced := make(map[string]any)
		for k, v := range obj {
			if _, ok := keys[k]; ok {
				reduced[k] = v
			}
		}
		// The library reports problems in map order: compare them all.
		full, red := allProblems(et, obj), allProblems(et, reduced)
		if !slices.Equal(full, red) {
			t.Fatalf("%s %s: problems %q, reduced %q", et.Name, raw, full, red)
		}
		k1, e1 := Validate(et.Source, et.Name, raw)
		k2, e2 := ValidateValue(et.Source, et.Name, reduced)
		if !k1 || !k2 || (e1 == nil) != (e2 == nil) {
			t.Fatalf("%s %s: Validate = %v, %v; reduced = %v, %v", et.Name, raw, k1, e1, k2, e2)
		}
	})
}

// allProblems lists every leaf of the library's error for v, converted as
// convert does its first one, sorted.
func allProblems(et EventType, v any) []string {
	typ, _ := Lookup(et.Source, et.Name)
	err := typ.compiled.Validate(v)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []string
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, convert("data", e).Error())
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	slices.Sort(out)
	return out
}
