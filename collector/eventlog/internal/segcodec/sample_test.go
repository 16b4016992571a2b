package segcodec

import (
	"encoding/json"
	"time"

	"github.com/popinbridge/bridge/internal/event"
)

// sampleEvents covers every field: empty and full contexts, maps, negative
// Seq, zero, UTC and non-UTC times, and Data with whitespace and escapes that
// a compacting encoder would change.
func sampleEvents() []event.Event {
	return []event.Event{
		{
			ID: "0b0f6a52-2a31-4d4e-9d7e-1a3c5f7e9b11", SiteID: "acme", Name: "popin_captured",
			Source: event.SourceBrowser, Known: true, UID: "u-42", AnonID: "a1", SessionID: "s1", Seq: 7,
			ClientTime: time.Unix(1763920000, 123456789).UTC(), ReceivedAt: time.Unix(1763920001, 987654321).UTC(),
			Data: json.RawMessage(`{"name":"Asha","email":"asha@example.com","mobile":"9876543210","plan":{"id":3,"tags":["a","b"]}}`),
			Context: event.Context{
				URL: "https://www.acme.com/p/1?q=%E2%9C%93", Referrer: "https://google.com/", Title: "Acme — pricing",
				UTM: map[string]string{"source": "google", "medium": "cpc", "campaign": "spring"},
				FBP: "fb.1.1763920000.123", FBC: "fb.1.1763920000.AbC",
				Consent: map[string]bool{"analytics": true, "ads": false}, UserID: "crm-42",
				Country: "IN", IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (X11; Linux x86_64)",
			},
		},
		{ID: "b", SiteID: "other", Name: "custom", Source: event.SourceCustom, Seq: -3,
			Data: json.RawMessage(`null`)},
		{ID: "c", SiteID: "acme", Name: "call_booked", Source: event.SourcePopinServer, Known: true,
			ClientTime: time.Unix(1700000000, 5).UTC(), ReceivedAt: time.Unix(1700000001, 0).UTC(),
			Data:    json.RawMessage(`{"x":"\u00e9\n","y":1.50}`),
			Context: event.Context{IP: "2001:db8::1"}},
	}
}

// benchEvent is a typical browser event as ingest produces it.
func benchEvent() event.Event {
	return event.Event{
		ID: "0b0f6a52-2a31-4d4e-9d7e-1a3c5f7e9b11", SiteID: "acme", Name: "popin_captured",
		Source: event.SourceBrowser, Known: true, UID: "u-42", AnonID: "2f1c0f0e-9a8b-4c2d-8e7f-6a5b4c3d2e1f",
		SessionID: "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f", Seq: 12,
		ClientTime: time.UnixMilli(1763920000123).UTC(), ReceivedAt: time.Unix(1763920000, 456789012).UTC(),
		Data: json.RawMessage(`{"uid":"u-42","name":"Asha Verma","email":"asha@example.com","mobile":"9876543210",` +
			`"country_code":"+91","popin_id":1234,"page":"https://www.acme.com/pricing","answers":[{"q":"budget","a":"10k"}]}`),
		Context: event.Context{
			URL: "https://www.acme.com/pricing?utm_source=google&utm_medium=cpc", Referrer: "https://www.google.com/",
			Title: "Pricing — Acme", UTM: map[string]string{"source": "google", "medium": "cpc", "campaign": "spring"},
			FBP: "fb.1.1763920000123.1234567890", Consent: map[string]bool{"analytics": true, "marketing": true},
			Country: "IN", IP: "203.0.113.7",
			UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
		},
	}
}
