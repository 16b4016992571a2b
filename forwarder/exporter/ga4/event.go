// Package ga4 sends bridge events to Google Analytics 4 through the
// Measurement Protocol (POST {api_url}/mp/collect?measurement_id=…&api_secret=…).
//
// Mapping (DefaultEventMap, extended or overridden by the endpoint's
// event_map; "" drops an event):
//
//	popin_captured          → generate_lead (GA4's recommended lead event)
//	popin_schedule_created  → popin_schedule_created (custom)
//	popin_call_end          → popin_call_end (custom)
//	popin_call_successful   → popin_call_successful (custom)
//
// Each event carries params event_id (bridge's id), page_location,
// page_referrer, page_title, engagement_time_msec 1 (so it shows in
// Realtime) and source "popinbridge"; never the payload: GA4 forbids
// personal data in params. user_id is ctx.user_id (the site's own id from
// PopinBridge.identify; a site must not identify visitors by e-mail).
//
// client_id: GA4 joins Measurement Protocol events to the browser's gtag
// data by the _ga cookie's client id, which the SDK sends as
// ctx.ga_client_id ("<random>.<seconds>"). It is used when it has that
// shape (event.ValidGAClientID) and the event does not deny analytics (an
// online identifier, under the same consent as aid: the endpoint's consent
// decides whether the event is sent at all). Otherwise client_id is derived
// from bridge's first-party anonymous id (aid): two decimal numbers from
// SHA-256("ga4:"+aid), shaped like gtag's ids, stable per visitor, not the
// aid itself; such events form their own users in GA4 unless user_id joins
// them.
//
// A request holds one client_id and at most 25 events (the Measurement
// Protocol's limits): Export sends one request per visitor of a batch.
package ga4

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"time"

	"github.com/popinbridge/bridge/forwarder/exporter/capi"
	"github.com/popinbridge/bridge/internal/consent"
	"github.com/popinbridge/bridge/internal/event"
)

// MaxBatch is the Measurement Protocol's limit of events per request.
const MaxBatch = 25

// MaxEventAge is how far back the Measurement Protocol accepts
// timestamp_micros (72 hours), less a margin.
const MaxEventAge = 72*time.Hour - time.Hour

// DefaultEventMap maps Popin event names to GA4 event names.
func DefaultEventMap() map[string]string {
	return map[string]string{
		"popin_captured":         "generate_lead",
		"popin_schedule_created": "popin_schedule_created",
		"popin_call_end":         "popin_call_end",
		"popin_call_successful":  "popin_call_successful",
	}
}

// Request is the JSON body of one /mp/collect request.
type Request struct {
	ClientID        string   `json:"client_id"`
	UserID          string   `json:"user_id,omitempty"`
	TimestampMicros int64    `json:"timestamp_micros,omitempty"`
	Consent         *Consent `json:"consent,omitempty"`
	Events          []Event  `json:"events"`
}

// Consent is the request's consent object: GRANTED or DENIED, from the
// event's ads purpose (internal/consent); absent when unknown.
type Consent struct {
	AdUserData        string `json:"ad_user_data,omitempty"`
	AdPersonalization string `json:"ad_personalization,omitempty"`
}

// Event is one element of events.
type Event struct {
	Name            string         `json:"name"`
	TimestampMicros int64          `json:"timestamp_micros,omitempty"`
	Params          map[string]any `json:"params"`
}

// ClientID is the client_id of ev: its ctx.ga_client_id when valid and
// analytics is not denied, else derived from its aid, else its uid, else
// its own id (a one-off client).
func ClientID(ev *event.Event) string {
	if c := ev.Context.GAClientID; event.ValidGAClientID(c) && consent.Of(ev.Context.Consent, consent.Analytics) != consent.Denied {
		return c
	}
	id := ev.AnonID
	if id == "" {
		id = ev.UID
	}
	if id == "" {
		id = ev.ID
	}
	h := sha256.Sum256([]byte("ga4:" + id))
	return strconv.FormatUint(uint64(binary.BigEndian.Uint32(h[:4])), 10) + "." +
		strconv.FormatUint(uint64(binary.BigEndian.Uint32(h[4:8])), 10)
}

// Build maps ev to a GA4 event named name.
func Build(ev *event.Event, name string) Event {
	p := map[string]any{"event_id": ev.ID, "engagement_time_msec": 1, "source": "popinbridge"}
	// GA4's length limits of these parameters.
	for _, f := range []struct {
		k, v string
		n    int
	}{{"page_location", ev.Context.URL, 1000}, {"page_referrer", ev.Context.Referrer, 420}, {"page_title", ev.Context.Title, 300}} {
		if f.v != "" {
			p[f.k] = clip(f.v, f.n)
		}
	}
	return Event{Name: name, TimestampMicros: capi.EventTime(ev).UnixMicro(), Params: p}
}

// consentOf is the request consent of ev, nil when the ads purpose is
// unknown.
func consentOf(ev *event.Event) *Consent {
	switch consent.Of(ev.Context.Consent, consent.Ads) {
	case consent.Granted:
		return &Consent{"GRANTED", "GRANTED"}
	case consent.Denied:
		return &Consent{"DENIED", "DENIED"}
	}
	return nil
}

// clip cuts s to at most n bytes at a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
