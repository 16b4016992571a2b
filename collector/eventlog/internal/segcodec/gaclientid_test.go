package segcodec

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/popinbridge/bridge/internal/event"
)

// TestGAClientIDRoundTrip: ctx.ga_client_id (flag bit 1) survives a round
// trip with and without a user id, and records without it are unchanged.
func TestGAClientIDRoundTrip(t *testing.T) {
	in := []event.Event{
		{ID: "g1", SiteID: "acme", Name: "n", Data: json.RawMessage(`{}`),
			Context: event.Context{UserID: "crm-7", GAClientID: "1234567890.1763920000"}},
		{ID: "g2", SiteID: "acme", Name: "n", Data: json.RawMessage(`{}`),
			Context: event.Context{GAClientID: "1.2"}},
		{ID: "g3", SiteID: "acme", Name: "n", Data: json.RawMessage(`{}`),
			Context: event.Context{UserID: "crm-8"}},
	}
	out, err := Decode(build(t, in))
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, in, out)
	// Without ga_client_id the record is as before: no flag bit 1.
	r, err := EncodeRecord(&in[2])
	if err != nil {
		t.Fatal(err)
	}
	var e event.Event
	if err := decodeBinary(&e, r); err != nil || e.Context.GAClientID != "" {
		t.Fatalf("decode %+v, %v", e.Context, err)
	}
}

// TestLaterVersionRecord: a record written by a later version (a flag bit
// from 2 up, user_id and ga_client_id, then fields this version does not
// know) decodes to its known fields, so a cluster keeps reading while its
// nodes are upgraded one at a time; the same bytes without the flag bit
// are corrupt.
func TestLaterVersionRecord(t *testing.T) {
	for _, ev := range []event.Event{
		{ID: "l1", SiteID: "acme", Name: "n", Data: json.RawMessage(`{"a":1}`),
			Context: event.Context{UserID: "crm-7", GAClientID: "1234567890.1763920000"}},
		{ID: "l2", SiteID: "acme", Name: "n", Known: true, Data: json.RawMessage(`{}`),
			Context: event.Context{URL: "https://x/", UserID: "crm-8", GAClientID: "1.2"}},
	} {
		rec, err := EncodeRecord(&ev)
		if err != nil {
			t.Fatal(err)
		}
		site, id, body, _, err := next(rec)
		if err != nil {
			t.Fatal(err)
		}
		flagAt := 2 + len(ev.Name) + len(ev.Source)
		later := append([]byte(nil), body...)
		later[flagAt] |= 1 << 5
		later = appendStr(appendStr(later, "a later field"), "and another")
		out, err := Decode(frame(site, id, later))
		if err != nil {
			t.Fatalf("%s: a later version's record: %v", ev.ID, err)
		}
		sameEvents(t, []event.Event{ev}, out)

		noFlag := appendStr(append([]byte(nil), body...), "a later field")
		if _, err := Decode(frame(site, id, noFlag)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: trailing field without a flag bit: %v, want ErrCorrupt", ev.ID, err)
		}
	}
}
