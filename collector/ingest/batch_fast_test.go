package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/schemas"
)

// refParseBatch is ParseBatch decoding with encoding/json only: the
// reference parseFast must reproduce.
func refParseBatch(raw []byte, lim Limits) ([]Item, *Error) {
	if len(raw) > lim.MaxBatchBytes {
		return nil, refuse(CodeTooLarge, "batch of %d bytes exceeds %d", len(raw), lim.MaxBatchBytes)
	}
	if !utf8.Valid(raw) {
		return nil, refuse(CodeMalformed, "not valid UTF-8")
	}
	if _, _, err := scanLimits(raw, lim); err != nil {
		return nil, err
	}
	return parseStd(raw, lim)
}

// sameItems compares items ignoring the decoded value, which it checks
// against encoding/json's decoding of Data: all of it, or, for a known
// event, only the properties its schema can constrain (RelevantKeys).
func sameItems(t *testing.T, raw []byte, got, want []Item) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%q: %d items, want %d", raw, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.decoded {
			dec := json.NewDecoder(bytes.NewReader(g.Data))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil || !reflect.DeepEqual(v, g.value) && !reflect.DeepEqual(relevantOnly(g, v), g.value) {
				t.Fatalf("%q item %d: value %#v, Data %s decodes to %#v (%v)", raw, i, g.value, g.Data, v, err)
			}
		}
		if g.fits && (g.decoded || g.value != nil) {
			t.Fatalf("%q item %d: fits, and decoded", raw, i)
		}
		g.value, g.decoded, g.pooled, g.fits = nil, false, false, false
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("%q item %d:\n got %+v %+v\nwant %+v %+v", raw, i, g, g.Reject, w, w.Reject)
		}
	}
}

// relevantOnly is v with only the properties the schema of it's event can
// constrain, or nil when it has no such schema or v is not an object.
func relevantOnly(it Item, v any) any {
	t, ok := schemas.Lookup(it.Source, it.Name)
	obj, isObj := v.(map[string]any)
	if !ok || !isObj || t.RelevantKeys() == nil {
		return nil
	}
	out := make(map[string]any)
	for k, x := range obj {
		if _, ok := t.RelevantKeys()[k]; ok {
			out[k] = x
		}
	}
	return out
}

var fastSeeds = []string{
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"popin_call_end","data":{"uid":"u","callId":7.0,"invited":false}},{"id":"1c7e5d2f-9e4b-4a8f-8b3c-6d7e8f9a0b1c","name":"popin_call_end","data":{"UID":"v","uid":"u","callId":-7,"callId":"c"}}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"popin_captured","data":{"name":{},"uid":null}},{"id":"1c7e5d2f-9e4b-4a8f-8b3c-6d7e8f9a0b1c","name":"nudge_open","data":{"uid":[1],"x":"y"},"src":"browser"}]}`,
	`{"batch":[]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"popin_captured","ts":1763920000123,"seq":7,"sid":"s","aid":"a","data":{"name":"Asha","uid":"u-1"},"ctx":{"url":"https://x","ref":"r","title":"t","utm":{"source":"fb"},"fbp":"p","fbc":"c","consent":{"ads":true},"user_id":"crm-7","ip":"6.6.6.6"}}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"n","ctx":{"ga_client_id":"123.456","GA_CLIENT_ID":"x"}},{"id":"1c7e5d2f-9e4b-4a8f-8b3c-6d7e8f9a0b1c","name":"n","ctx":{"ga_client_id":5}}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"n","ctx":{"user_id":7}},{"id":"1c7e5d2f-9e4b-4a8f-8b3c-6d7e8f9a0b1c","name":"n","ctx":{"USER_ID":"u","user_id":null}}]}`,
	`{"x":1,"BATCH":[{"ID":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","Name":"t","src":"custom","data":{"UID":5,"uid":-1.5e3}}]}`,
	`{"batch":[{"name":"x"},5,null,"s",[1]]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"a\"b","data":{"q":"\\\"]]"}}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"n","ts":"now"}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"n","seq":7.5,"ts":null}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"n","ctx":{"utm":{"a":1}}}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"n","ctx":{"utm":{"a":null},"consent":{"b":null,"c":false}},"ctx":{"utm":{"d":"e"}}}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"n","ctx":{"consent":{"ad_storage":"granted","ad_user_data":"DENIED","x":"Gr\u0061nted","tcf":"CPXxRfAPXxRfAAfKABENB","n":1,"o":{"a":[true]},"l":[false],"z":null,"ads":true,"ads":"no"}}}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"n","ctx":{"consent":{"ads":"denied"},"Consent":{"ads":{}},"consent":{"analytics":"granted"}}},{"id":"1c7e5d2f-9e4b-4a8f-8b3c-6d7e8f9a0b1c","name":"n","ctx":{"consent":"CPXxRfAPXxRfAAfKABENB"}},{"id":"2c7e5d2f-9e4b-4a8f-8b3c-6d7e8f9a0b1c","name":"n","ctx":{"consent":[1]}}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"n","data":{"uid":{}}},{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"n","data":[]}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"n","data":{"uid":"x"},"data":null}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","id":null,"name":"d"},{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"d"}]}`,
	`{"batch":[{"id":5,"name":"x"}]}`,
	`{"batch":[],"batch":[{}]}`,
	`{"batch":null}`,
	`{"batch":[]} x`,
	`{"batch":[{"name":"\ud800"}]}`,
	`[]`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"my_event","src":"custom","data":{"Uid":7,"x":[1]}}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"unknown_one","data":{"uid":"u","x":{}},"name":"nudge_show"}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"popin_rating_done","data":{"UID":1,"uid":"u","rating":true,"x":[{}]},"name":"nudge_show"}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"popin_rating_done","data":{"Uid":1,"uid":"u","r\u0061ting":"5","x":[{}]}}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"x","data":{"pad":"` + strings.Repeat("p", 500) + `"}}]}`,
	`{"batch":[{"id":"0B6F4C1E-8D3A-4F7E-9A2B-5C6D7E8F9A0B","name":"nudge_show","data":{"a":[1e999999,2]}},{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"x"}]}`,
	`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"x","src":"custom","ts":1e999999,"data":{"a/b":-1E309,"c":"1e999"}}]}`,
}

// FuzzParseFast checks that ParseBatch, decoding in one jsontext pass,
// returns exactly what encoding/json decoding returns.
func FuzzParseFast(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	lim := defaultLimits()
	lim.MaxEventsPerBatch = 20
	lim.MaxJSONDepth = 8
	lim.MaxKeys = 20
	lim.MaxStringBytes = 64
	lim.MaxEventBytes = 512
	lim.MaxBatchBytes = 4096
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, gerr := ParseBatch(raw, lim)
		want, werr := refParseBatch(raw, lim)
		if !reflect.DeepEqual(gerr, werr) {
			t.Fatalf("%q: error %v, want %v", raw, gerr, werr)
		}
		sameItems(t, raw, got, want)
		sameVerdicts(t, raw, got)
	})
}

// sameVerdicts checks that validate, from whatever ParseBatch prepared
// (a Shape's verdict, a decoded value, or nothing), says what the schemas
// say of each valid item's Data.
func sameVerdicts(t *testing.T, raw []byte, items []Item) {
	t.Helper()
	in := &Ingest{validator: schemaValidator{}, valueVal: schemaValidator{}}
	for i := range items {
		it := items[i]
		if it.Reject != nil {
			continue
		}
		k1, e1 := in.validate(&it)
		k2, e2 := schemas.Validate(it.Source, it.Name, it.Data)
		if k1 != k2 || fmt.Sprint(e1) != fmt.Sprint(e2) {
			t.Fatalf("%q item %d: validate = %v, %v; Validate(Data) = %v, %v", raw, i, k1, e1, k2, e2)
		}
	}
}

// TestDecodedValueValidatesAsData checks that an item's decoded value, all
// of its data or only its schema's relevant properties, is validated as
// its Data would be, and that a value reduced for a name the entry later
// changes is not used.
func TestDecodedValueValidatesAsData(t *testing.T) {
	id := `"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b"`
	for _, tc := range []struct {
		entry   string
		decoded bool
		err     string
	}{
		{`"name":"popin_rating_done","data":{"uid":"u","rating":5,"note":{"x":[1e3]}}`, true, ""},
		{`"name":"popin_rating_done","data":{"uid":"u","rating":true,"note":"n"}`, true, "data/rating: want integer or string, got boolean"},
		{`"name":"popin_rating_done","data":{"uid":"u","note":"n"}`, true, "data/rating: required"},
		{`"name":"popin_rating_done","data":{"uid":"u","r\u0061ting":5}`, true, ""},
		{`"data":{"uid":"u","rating":true,"x":1},"name":"popin_rating_done"`, true, "data/rating: want integer or string, got boolean"},
		{`"name":"nudge_show","data":{"uid":"u","rating":true},"name":"popin_rating_done"`, false, "data/rating: want integer or string, got boolean"},
		{`"name":"popin_rating_done","data":{"uid":"u","rating":true},"name":"nudge_show"`, false, ""},
	} {
		raw := []byte(`{"batch":[{` + id + `,` + tc.entry + `}]}`)
		items, rerr := ParseBatch(raw, defaultLimits())
		if rerr != nil || len(items) != 1 || items[0].Reject != nil {
			t.Fatalf("%s: %v %+v", tc.entry, rerr, items)
		}
		it := items[0]
		if it.decoded != tc.decoded {
			t.Errorf("%s: decoded %v, want %v", tc.entry, it.decoded, tc.decoded)
		}
		in := &Ingest{validator: schemaValidator{}, valueVal: schemaValidator{}}
		known, err := in.validate(&it)
		if !known || fmt.Sprint(err) != fmt.Sprint(schemasErr(tc.err)) {
			t.Errorf("%s: validate = %v, %v; want %q", tc.entry, known, err, tc.err)
		}
		if _, derr := schemas.Validate(it.Source, it.Name, it.Data); fmt.Sprint(derr) != fmt.Sprint(err) {
			t.Errorf("%s: Validate(Data) = %v, validate = %v", tc.entry, derr, err)
		}
	}
}

// schemasErr is err as validate returns it: nil for "".
func schemasErr(msg string) error {
	if msg == "" {
		return nil
	}
	return errors.New(msg)
}

// TestShapeVerdict checks when ParseBatch's Shape verdict spares the
// library: for a browser event whose data surely fits its schema, read
// under the name and source the item ends up with, and for no other; a
// custom validator is still asked.
func TestShapeVerdict(t *testing.T) {
	id := `"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b"`
	for _, tc := range []struct {
		entry string
		fits  bool
		err   string
	}{
		{`"name":"popin_captured","data":{"name":"A","uid":"u","x":{"y":[1]}}`, true, ""},
		{`"name":"popin_captured","data":{"name":7,"uid":"u"}`, false, "data/name: want string or null, got number"},
		{`"name":"nudge_show","data":{"UID":"u","uid":"v"}`, true, ""},
		{`"name":"nudge_show","data":{"uid":"v","UID":true}`, false, "data.uid"}, // rejected by finishItem
		{`"name":"nudge_show","data":{"x":1}`, false, "data/uid: required"},
		{`"name":"popin_call_end","data":{"uid":"u","callId":7.0}`, false, ""}, // the library decides
		{`"name":"nudge_show","data":{"uid":"u"},"name":"popin_screen_change"`, false, "data/screen: required"},
		{`"name":"nudge_show","data":{"uid":"u"},"src":"custom"`, false, ""},
		{`"data":{"uid":"u"},"name":"nudge_show"`, false, ""},
	} {
		raw := []byte(`{"batch":[{` + id + `,` + tc.entry + `}]}`)
		items, rerr := ParseBatch(raw, defaultLimits())
		if rerr != nil || len(items) != 1 {
			t.Fatalf("%s: %v %+v", tc.entry, rerr, items)
		}
		it := items[0]
		if it.Reject != nil {
			if !strings.Contains(it.Reject.Error, tc.err) || tc.err == "" {
				t.Errorf("%s: rejected %v, want %q", tc.entry, it.Reject, tc.err)
			}
			continue
		}
		if it.fits != tc.fits {
			t.Errorf("%s: fits %v, want %v", tc.entry, it.fits, tc.fits)
		}
		custom := ValidatorFunc(func(event.Source, string, json.RawMessage) (bool, error) {
			return false, errors.New("asked")
		})
		if _, err := (&Ingest{validator: custom}).validate(&it); fmt.Sprint(err) != "asked" {
			t.Errorf("%s: the custom validator was not asked: %v", tc.entry, err)
		}
		in := &Ingest{validator: schemaValidator{}, valueVal: schemaValidator{}}
		_, err := in.validate(&it)
		if fmt.Sprint(err) != fmt.Sprint(schemasErr(tc.err)) {
			t.Errorf("%s: validate = %v, want %q", tc.entry, err, tc.err)
		}
	}
}

// TestVerdictsMatchLibrary compares, for every browser event type, each
// property its schema constrains set to values of every JSON type (one
// at a time, and all together), with and without the others, what
// validate says (a Shape's verdict or the library on a reduced value)
// with what the library says of the whole Data, as before Shapes.
func TestVerdictsMatchLibrary(t *testing.T) {
	values := []string{`"s"`, `" 5 "`, `5`, `-5`, `5.0`, `5e0`, `1.5`, `null`, `true`, `{}`, `{"a":1}`, `[]`, `[1]`}
	checked, fits := 0, 0
	for _, et := range schemas.Catalog() {
		typ, _ := schemas.Lookup(et.Source, et.Name)
		if et.Source != event.SourceBrowser || typ.RelevantKeys() == nil {
			continue
		}
		var datas []string
		for k := range typ.RelevantKeys() {
			for _, v := range values {
				datas = append(datas, fmt.Sprintf(`{%q:%s}`, k, v), fmt.Sprintf(`{"uid":"u","x":1,%q:%s}`, k, v))
				all := strings.TrimSuffix(string(et.Sample), "}")
				datas = append(datas, all+fmt.Sprintf(`,%q:%s}`, k, v))
			}
		}
		datas = append(datas, `{}`, string(et.Sample))
		for _, data := range datas {
			raw := []byte(`{"batch":[{"id":"0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b","name":"` + et.Name + `","data":` + data + `}]}`)
			items, rerr := ParseBatch(raw, defaultLimits())
			if rerr != nil || len(items) != 1 {
				t.Fatalf("%s: %v", raw, rerr)
			}
			if items[0].fits {
				fits++
			}
			sameVerdicts(t, raw, items)
			checked++
		}
	}
	if fits == 0 || fits == checked {
		t.Fatalf("%d of %d payloads fit: the table does not exercise both paths", fits, checked)
	}
	t.Logf("%d payloads, %d fit their shape", checked, fits)
}
