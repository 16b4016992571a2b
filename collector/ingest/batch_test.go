package ingest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/popinbridge/bridge/internal/event"
)

func defaultLimits() Limits { return NewDefaultConfig().limits() }

func TestParseBatch(t *testing.T) {
	id := "0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b"
	id2 := "1c7e5d2f-9e4b-4a8f-8b3c-6d7e8f9a0b1c"
	tests := []struct {
		name      string
		raw       string
		wantErr   Code
		errSubstr string
		check     func(t *testing.T, items []Item)
	}{
		{name: "full item", raw: `{"batch":[{"id":"` + id + `","name":"popin_captured","ts":1763920000123,"seq":7,"sid":"s","aid":"a",
			"data":{"name":"Asha","uid":"u-1"},"ctx":{"url":"https://x","ref":"r","title":"t","utm":{"source":"fb"},"fbp":"p","fbc":"c","consent":{"ads":true},"user_id":"crm-7","ga_client_id":"123.456","ip":"6.6.6.6","ua":"spoof"}}]}`,
			check: func(t *testing.T, items []Item) {
				it := items[0]
				if it.Reject != nil || it.ID != id || it.Name != "popin_captured" || it.Source != event.SourceBrowser ||
					it.UID != "u-1" || it.Seq != 7 || it.SessionID != "s" || it.AnonID != "a" ||
					!it.ClientTime.Equal(time.UnixMilli(1763920000123)) {
					t.Fatalf("%+v", it)
				}
				c := it.Context
				if c.URL != "https://x" || c.Referrer != "r" || c.Title != "t" || c.UTM["source"] != "fb" || c.FBP != "p" || c.FBC != "c" || !c.Consent["ads"] || c.UserID != "crm-7" || c.GAClientID != "123.456" || c.IP != "" || c.UserAgent != "" {
					t.Fatalf("context %+v", c)
				}
			}},
		{name: "custom source, numeric uid, no data", raw: `{"batch":[{"id":"` + id + `","name":"Add to cart","src":"custom"},{"id":"` + strings.ToUpper(id2) + `","name":"x","data":{"uid":42}}]}`,
			check: func(t *testing.T, items []Item) {
				if items[0].Source != event.SourceCustom || string(items[0].Data) != "{}" || !items[0].ClientTime.IsZero() {
					t.Fatalf("%+v", items[0])
				}
				if items[1].UID != "42" || items[1].Reject != nil || items[1].ID != id2 || items[1].WireID != strings.ToUpper(id2) {
					t.Fatalf("%+v", items[1])
				}
			}},
		{name: "duplicate id kept once", raw: `{"batch":[{"id":"` + id + `","name":"a"},{"id":"` + id + `","name":"a"}]}`,
			check: func(t *testing.T, items []Item) {
				if len(items) != 1 {
					t.Fatalf("%d items", len(items))
				}
			}},
		{name: "upper-case id is the same event", raw: `{"batch":[{"id":"` + strings.ToUpper(id) + `","name":"a"},{"id":"` + id + `","name":"a"}]}`,
			check: func(t *testing.T, items []Item) {
				if len(items) != 1 || items[0].ID != id || items[0].WireID != strings.ToUpper(id) {
					t.Fatalf("%+v", items)
				}
			}},
		{name: "empty batch", raw: `{"batch":[]}`, check: func(t *testing.T, items []Item) {
			if len(items) != 0 {
				t.Fatal(items)
			}
		}},
		{name: "per-item rejects", raw: `{"batch":[5,{"name":"x"},{"id":"nope","name":"x"},{"id":"` + id + `"},{"id":"` + id + `","name":"x","ts":"now"},{"id":"` + id + `","name":"x","ctx":{"utm":{"a":1}}},{"id":"` + id + `","name":"x","data":{"uid":{}}},{"id":"` + id + `","name":"x","src":"popin_server"},{"id":"` + id + `","name":"a\u0001b"}]}`,
			check: func(t *testing.T, items []Item) {
				want := []string{"event", "id: required", "id: want a UUID", "name: required", "ts", "ctx.utm", "data.uid", "src", "name: contains a control"}
				if len(items) != len(want) {
					t.Fatalf("%d items", len(items))
				}
				for i, w := range want {
					if items[i].Reject == nil || items[i].Reject.Code != CodeInvalidEvent || !strings.Contains(items[i].Reject.Error, w) {
						t.Errorf("item %d: %+v, want invalid_event naming %q", i, items[i].Reject, w)
					}
				}
			}},
		{name: "not JSON", raw: `{"batch":[`, wantErr: CodeMalformed},
		{name: "trailing garbage", raw: `{"batch":[]} x`, wantErr: CodeMalformed},
		{name: "no batch", raw: `{"events":[]}`, wantErr: CodeMalformed, errSubstr: "batch"},
		{name: "batch not array", raw: `{"batch":{}}`, wantErr: CodeMalformed},
		{name: "root array", raw: `[]`, wantErr: CodeMalformed},
		{name: "invalid UTF-8", raw: "{\"batch\":[\"\xc3\x28\"]}", wantErr: CodeMalformed, errSubstr: "UTF-8"},
		{name: "too deep", raw: `{"batch":[{"data":` + strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40) + `}]}`, wantErr: CodeTooLarge, errSubstr: "nesting"},
		{name: "too many events", raw: `{"batch":[{}` + strings.Repeat(`,{}`, 500) + `]}`, wantErr: CodeTooLarge, errSubstr: "events"},
		{name: "500 events fine", raw: `{"batch":[{}` + strings.Repeat(`,{}`, 499) + `]}`},
		{name: "too many keys", raw: `{"batch":[{"data":{"k":[0` + strings.Repeat(`,0`, 500) + `]}}]}`, wantErr: CodeTooLarge, errSubstr: "entries"},
		{name: "long string", raw: `{"batch":[{"name":"` + strings.Repeat("a", 8<<10+1) + `"}]}`, wantErr: CodeTooLarge, errSubstr: "string"},
		{name: "escaped quotes in strings", raw: `{"batch":[{"id":"` + id + `","name":"a\"b\\","data":{"q":"\\\"]]]]"}}]}`,
			check: func(t *testing.T, items []Item) {
				if items[0].Reject != nil || items[0].Name != `a"b\` {
					t.Fatalf("%+v", items[0])
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items, err := ParseBatch([]byte(tc.raw), defaultLimits())
			if tc.wantErr != "" {
				if err == nil || err.Code != tc.wantErr || !strings.Contains(err.Msg, tc.errSubstr) {
					t.Fatalf("err %v, want %s containing %q", err, tc.wantErr, tc.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, items)
			}
		})
	}
}

func TestParseBatchDeepNestingIsCheap(t *testing.T) {
	raw := []byte(`{"batch":[` + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) + `]}`)
	lim := defaultLimits()
	lim.MaxBatchBytes = len(raw)
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := ParseBatch(raw, lim); err == nil || err.Code != CodeTooLarge {
			t.Fatalf("err %v", err)
		}
	})
	if allocs > 10 {
		t.Fatalf("%v allocations refusing deep nesting", allocs)
	}
}

// FuzzParseBatch checks that ParseBatch never panics and that whatever it
// accepts respects the limits.
func FuzzParseBatch(f *testing.F) {
	id := "0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b"
	for _, s := range []string{
		`{"batch":[]}`,
		`{"batch":[{"id":"` + id + `","name":"popin_captured","ts":1763920000123,"seq":7,"sid":"s","aid":"a","data":{"name":"Asha","uid":"u-1"},"ctx":{"url":"https://x","utm":{"source":"fb"},"consent":{"ads":true}}}]}`,
		`{"batch":[{"id":"` + id + `","name":"t","src":"custom","data":{"uid":5}}]}`,
		`{"batch":[{"name":"x"},5,null,"s"]}`,
		`{"batch":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
		"{\"batch\":[\"\xff\"]}",
		`{"batch":[{"id":"` + id + `","name":"a\"b","data":{"q":"\\\"]]"}}]}`,
	} {
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
		items, err := ParseBatch(raw, lim)
		if err != nil {
			if err.Code != CodeMalformed && err.Code != CodeTooLarge {
				t.Fatalf("frame error with code %s", err.Code)
			}
			if items != nil {
				t.Fatal("items with an error")
			}
			return
		}
		if len(raw) > lim.MaxBatchBytes || !utf8.Valid(raw) || !json.Valid(raw) {
			t.Fatalf("accepted %q", raw)
		}
		if len(items) > lim.MaxEventsPerBatch {
			t.Fatalf("%d items", len(items))
		}
		seen := map[string]bool{}
		for _, it := range items {
			if it.Reject != nil {
				if it.Reject.Code != CodeInvalidEvent && it.Reject.Code != CodeTooLarge || it.Reject.Error == "" {
					t.Fatalf("reject %+v", it.Reject)
				}
				continue
			}
			if !isUUID(it.ID) || seen[it.ID] || it.Name == "" || len(it.Name) > MaxNameBytes {
				t.Fatalf("accepted item %+v", it)
			}
			seen[it.ID] = true
			if it.Source != event.SourceBrowser && it.Source != event.SourceCustom {
				t.Fatalf("source %q", it.Source)
			}
			if !json.Valid(it.Data) || !bytes.HasPrefix(it.Data, []byte("{")) {
				t.Fatalf("data %q", it.Data)
			}
			if want := refDataUID(it.Data); it.UID != want {
				t.Fatalf("uid %q, encoding/json says %q (data %s)", it.UID, want, it.Data)
			}
		}
	})
}

// refDataUID is data.uid read with encoding/json, the reference for
// topLevelValue.
func refDataUID(data []byte) string {
	var d struct {
		UID json.RawMessage `json:"uid"`
	}
	if json.Unmarshal(data, &d) != nil {
		return "?"
	}
	v := bytes.TrimSpace(d.UID)
	switch {
	case len(v) == 0 || string(v) == "null":
		return ""
	case v[0] == '"':
		var s string
		_ = json.Unmarshal(v, &s)
		return s
	default:
		return string(v)
	}
}

func TestTopLevelValue(t *testing.T) {
	tests := []struct{ obj, want string }{
		{`{"uid":"a"}`, `"a"`},
		{` { "x" : {"uid":"inner"} , "uid" : 5 } `, `5`},
		{`{"uid":"a","uid":"b"}`, `"b"`},
		{`{"UID":"c"}`, `"c"`},
		{`{"u\u0069d":"d"}`, `"d"`},
		{`{"a":"\"uid\":1","b":[{"uid":2}]}`, ``},
		{`{}`, ``},
		{`{"uid":null}`, `null`},
		{`{"uid":[1,{"a":"]"}]}`, `[1,{"a":"]"}]`},
	}
	for _, tc := range tests {
		if got := string(topLevelValue([]byte(tc.obj), "uid")); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.obj, got, tc.want)
		}
	}
}
