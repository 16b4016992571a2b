package schemas

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

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
