package segcodec

import (
	"encoding/json"
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
