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
