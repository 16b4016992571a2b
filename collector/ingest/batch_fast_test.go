package ingest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
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
	if _, err := scanLimits(raw, lim); err != nil {
		return nil, err
	}
	return parseStd(raw, lim)
}

// sameItems compares items ignoring the decoded value, which it checks
// against encoding/json's decoding of Data.
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
			if err := dec.Decode(&v); err != nil || !reflect.DeepEqual(v, g.value) {
				t.Fatalf("%q item %d: value %#v, Data %s decodes to %#v (%v)", raw, i, g.value, g.Data, v, err)
			}
		}
		g.value, g.decoded = nil, false
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("%q item %d:\n got %+v %+v\nwant %+v %+v", raw, i, g, g.Reject, w, w.Reject)
		}
	}
}

var fastSeeds = []string{
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
	})
}
