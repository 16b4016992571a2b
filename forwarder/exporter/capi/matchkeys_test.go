package capi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/event"
)

func TestFBCFromURL(t *testing.T) {
	at := time.UnixMilli(1733480000123).UTC()
	for _, tc := range []struct {
		name, url string
		consent   map[string]bool
		want      string
	}{
		// Meta's format: fb.1.<creation time ms>.<fbclid>, fbclid case kept
		// (https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/fbp-and-fbc/).
		{"fbclid", "https://acme.com/p?fbclid=IwAR2AbC_dEf&utm_source=fb", nil, "fb.1.1733480000123.IwAR2AbC_dEf"},
		{"ads granted", "https://acme.com/?fbclid=X1", map[string]bool{"ads": true}, "fb.1.1733480000123.X1"},
		{"ads denied", "https://acme.com/?fbclid=X1", map[string]bool{"ads": false}, ""},
		{"consent mode denied", "https://acme.com/?fbclid=X1", map[string]bool{"ad_user_data": false}, ""},
		{"no fbclid", "https://acme.com/?gclid=1", nil, ""},
		{"no url", "", nil, ""},
		{"bad url", "://x?fbclid=1", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := &event.Event{ClientTime: at, ReceivedAt: at, Context: event.Context{URL: tc.url, Consent: tc.consent}}
			if got := FBCFromURL(ev); got != tc.want {
				t.Fatalf("FBCFromURL = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestUserDataFBCAndUserID: ctx.fbc (the SDK's) wins over the URL's
// fbclid; without it the fbc is built from the URL; ctx.user_id is a third
// external_id, hashed.
func TestUserDataFBCAndUserID(t *testing.T) {
	at := time.UnixMilli(1733480000123).UTC()
	ev := &event.Event{ID: "e", AnonID: "a-1", UID: "U-1", ClientTime: at, ReceivedAt: at,
		Context: event.Context{URL: "https://acme.com/?fbclid=FromURL", FBC: "fb.1.1700000000000.FromSDK", UserID: " Cust-42 "}}
	u := BuildUserData(Raw{}, ev, "")
	if u.FBC != "fb.1.1700000000000.FromSDK" {
		t.Fatalf("fbc %q: the SDK's value must be kept", u.FBC)
	}
	if len(u.ExternalID) != 3 || u.ExternalID[2] != Hash("cust-42") {
		t.Fatalf("external_id %v", u.ExternalID)
	}
	ev.Context.FBC = ""
	if u := BuildUserData(Raw{}, ev, ""); u.FBC != "fb.1.1733480000123.FromURL" {
		t.Fatalf("fbc from URL %q", u.FBC)
	}
}

func TestMatchKeys(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name, data string
		ctx        event.Context
		want       string
	}{
		{"full lead", `{"name":"Asha Rao","email":"a@b.in","mobile":"9876543210","country":"India","city":"Pune","pin_code":"411001"}`,
			event.Context{IP: "203.0.113.1", UserAgent: "UA", FBP: "fb.1.1.1", FBC: "fb.1.1.x"}, "em,ph,fn,ln,ct,zp,country,external_id,ip,ua,fbp,fbc"},
		{"email only", `{"email":"a@b.in"}`, event.Context{}, "em,external_id"},
		{"bad email, no ids", `{"email":"nope"}`, event.Context{}, "external_id"},
		{"fbc from url", `{}`, event.Context{URL: "https://x.com/?fbclid=1"}, "external_id,fbc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := &event.Event{ID: "e", AnonID: "a-1", ClientTime: now, ReceivedAt: now, Data: json.RawMessage(tc.data), Context: tc.ctx}
			x := &Exporter{}
			if got := x.MatchKeys(ev); got != tc.want {
				t.Fatalf("MatchKeys = %q, want %q", got, tc.want)
			}
		})
	}
}
