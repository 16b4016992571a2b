package ingest

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestIDsAreCaseInsensitive: the same UUID in upper and lower case is one
// event, stored under the lower-case id; each request is acked with the id
// as it sent it (issue 9.7).
func TestIDsAreCaseInsensitive(t *testing.T) {
	h := newHarness(t, testConfig())
	id := newUUID()
	tests := []struct{ name, sent string }{
		{"upper case first", strings.ToUpper(id)},
		{"lower case again", id},
		{"mixed case again", strings.ToUpper(id[:8]) + id[8:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := mkEvent("nudge_show")
			e.ID = tc.sent
			resp, b := postEvents(t, h.eventsURL(testKey), "application/json", testOrigin, batchJSON(t, e))
			if r := decodeResult(t, b); resp.StatusCode != 200 || len(r.Accepted) != 1 || r.Accepted[0] != tc.sent {
				t.Fatalf("%d %s, want %s accepted", resp.StatusCode, b, tc.sent)
			}
			h.log.sync()
			if n := h.log.times(id); n != 1 {
				t.Fatalf("stored %d times under %s", n, id)
			}
			if _, ok := h.log.get(strings.ToUpper(id)); ok {
				t.Fatal("stored under the upper-case id")
			}
		})
	}
}

// TestIDsAckedAsSentOverWebSocket: an upper-case id is acked as sent and
// stored in lower case; an event rejected for its ts is named as sent too.
func TestIDsAckedAsSentOverWebSocket(t *testing.T) {
	h := newHarness(t, testConfig())
	c := h.mustDial(testKey, testOrigin)
	defer c.Close()
	ok, bad := mkEvent("nudge_show"), mkEvent("nudge_show")
	ok.ID, bad.ID = strings.ToUpper(ok.ID), strings.ToUpper(bad.ID)
	bad.TS = 1
	acked, rejected := sendAndWait(t, c, batchJSON(t, ok, bad), []string{ok.ID, bad.ID})
	if !acked[ok.ID] || rejected[bad.ID].Code != CodeInvalidEvent {
		t.Fatalf("acked %v, rejected %v", acked, rejected)
	}
	h.log.sync()
	if h.log.times(strings.ToLower(ok.ID)) != 1 {
		t.Fatal("not stored under the lower-case id")
	}
}

// TestClientTimeWindow: ts must lie within a day ahead of and 30 days
// before receipt; outside it the event is rejected naming ts, and the other
// events of the batch are accepted (issue 9.7).
func TestClientTimeWindow(t *testing.T) {
	h := newHarness(t, testConfig())
	now := time.Now()
	tests := []struct {
		name string
		ts   int64 // 0: no ts
		ok   bool
	}{
		{"now", now.UnixMilli(), true},
		{"no ts", 0, true},
		{"an hour ahead (skew)", now.Add(time.Hour).UnixMilli(), true},
		{"29 days ago", now.Add(-29 * 24 * time.Hour).UnixMilli(), true},
		{"two days ahead", now.Add(48 * time.Hour).UnixMilli(), false},
		{"year 5138", 99999999999999, false},
		{"31 days ago", now.Add(-31 * 24 * time.Hour).UnixMilli(), false},
		{"1970", 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, good := mkEvent("nudge_show"), mkEvent("nudge_show")
			e.TS = tc.ts
			resp, b := postEvents(t, h.eventsURL(testKey), "application/json", testOrigin, batchJSON(t, e, good))
			r := decodeResult(t, b)
			if resp.StatusCode != http.StatusOK || !slices.Contains(r.Accepted, good.ID) {
				t.Fatalf("%d %s: the good event was not accepted", resp.StatusCode, b)
			}
			if tc.ok {
				if !slices.Contains(r.Accepted, e.ID) {
					t.Fatalf("%s: not accepted", b)
				}
				return
			}
			if len(r.Rejected) != 1 || r.Rejected[0].ID != e.ID || r.Rejected[0].Code != CodeInvalidEvent ||
				!strings.HasPrefix(r.Rejected[0].Error, "ts: ") {
				t.Fatalf("%s: want %s rejected naming ts", b, e.ID)
			}
		})
	}
}

// TestHugeNumbersRejected: a number beyond float64 anywhere in an event's
// data rejects that event, naming the field; numbers that fit (or only lose
// precision) are kept as written (issue 9.7).
func TestHugeNumbersRejected(t *testing.T) {
	id := "0b6f4c1e-8d3a-4f7e-9a2b-5c6d7e8f9a0b"
	tests := []struct {
		name, data string
		field      string // "" when accepted
	}{
		{"fits", `{"a":1.7976931348623157e308,"b":-1e-400,"c":12345678901234567890}`, ""},
		{"in a string", `{"a":"1e999999"}`, ""},
		{"top level", `{"x":1,"amount":1e999999}`, "data/amount"},
		{"negative", `{"amount":-1E309}`, "data/amount"},
		{"nested in an array", `{"items":[{"p":1},{"p":2e400}]}`, "data/items/1/p"},
		{"uid", `{"uid":1e999999}`, "data/uid"},
		{"repeated key, the first", `{"a":1e999,"a":1}`, "data/a"},
		{"many digits", `{"n":1` + strings.Repeat("0", 400) + `}`, "data/n"},
		{"key with a slash", `{"a/b":9e999}`, "data/a~1b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for src, name := range map[string]string{"custom": "x", "browser": "nudge_show"} { // data undecoded, decoded
				raw := `{"batch":[{"id":"` + id + `","name":"` + name + `","src":"` + src + `","data":` + tc.data + `}]}`
				items, err := ParseBatch([]byte(raw), defaultLimits())
				if err != nil || len(items) != 1 {
					t.Fatalf("%s: %v %+v", src, err, items)
				}
				want, _ := refParseBatch([]byte(raw), defaultLimits())
				sameItems(t, []byte(raw), items, want)
				r := items[0].Reject
				if tc.field == "" {
					if r != nil {
						t.Fatalf("%s: rejected %+v", src, r)
					}
					continue
				}
				if r == nil || r.Code != CodeInvalidEvent || r.ID != id || !strings.HasPrefix(r.Error, tc.field+": number ") {
					t.Fatalf("%s: reject %+v, want one naming %s", src, r, tc.field)
				}
			}
		})
	}
	// The webhook route too.
	h := newHarness(t, testConfig())
	body := strings.Replace(hookBody, `"185"`, `1e999999`, 1)
	if status, b := postHook(t, h, testKey, "k3y", body); status != 400 || !strings.Contains(b, "data/properties/call_duration: number") {
		t.Fatalf("webhook: %d %s", status, b)
	}
}
