// Package tiktok sends bridge events to the TikTok Events API
// (POST {api_url}/open_api/v1.3/event/track/, header Access-Token).
//
// Mapping (DefaultEventMap, extended or overridden by the endpoint's
// event_map; "" drops an event):
//
//	popin_captured          → SubmitForm
//	popin_schedule_created  → Schedule (a custom event)
//	popin_call_end          → Contact
//	popin_call_successful   → Contact
//
// Customer information is normalised as for the Conversions API
// (internal/piinorm) and hashed with SHA-256 per TikTok's rules: email is
// the trimmed, lower-cased address; phone is E.164 with its leading '+'
// ("+919876543210"; Meta's form has no '+'); external_id is ctx.user_id,
// else Popin's uid, else bridge's aid, trimmed and lower-cased. IP, user
// agent and ttclid (the ?ttclid= of the page URL) go unhashed. No raw
// e-mail, phone or name leaves in a request, and the payload is not copied.
//
// event_id is bridge's event id: TikTok de-duplicates a server event with
// a pixel event of the same name and event_id, so a site that also fires
// its TikTok pixel passes the same id (see the SDK's data-pixel-dedup).
package tiktok

import (
	"net/url"

	"github.com/popinbridge/bridge/forwarder/exporter/capi"
	"github.com/popinbridge/bridge/internal/consent"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/piinorm"
)

// MaxBatch is the Events API's limit of events per request.
const MaxBatch = 1000

// DefaultEventMap maps Popin event names to TikTok events.
func DefaultEventMap() map[string]string {
	return map[string]string{
		"popin_captured":         "SubmitForm",
		"popin_schedule_created": "Schedule",
		"popin_call_end":         "Contact",
		"popin_call_successful":  "Contact",
	}
}

// Request is the JSON body of one event/track request.
type Request struct {
	EventSource   string  `json:"event_source"`
	EventSourceID string  `json:"event_source_id"`
	TestEventCode string  `json:"test_event_code,omitempty"`
	Data          []Event `json:"data"`
}

// Event is one element of data.
type Event struct {
	Event     string `json:"event"`
	EventTime int64  `json:"event_time"`
	EventID   string `json:"event_id"`
	User      User   `json:"user"`
	Page      Page   `json:"page"`
}

// User is the event's customer information: hashed (email, phone,
// external_id) and unhashed (the rest) fields.
type User struct {
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
	TTCLID     string `json:"ttclid,omitempty"`
	IP         string `json:"ip,omitempty"`
	UserAgent  string `json:"user_agent,omitempty"`
}

// Page is where the event happened.
type Page struct {
	URL      string `json:"url,omitempty"`
	Referrer string `json:"referrer,omitempty"`
}

// NormPhone is TikTok's phone before hashing: E.164 with '+', "" when the
// number is implausible. region (ISO alpha-2) reads national numbers.
func NormPhone(raw, region string) string {
	if p := piinorm.Phone(raw, region); p != "" {
		return "+" + p
	}
	return ""
}

// Build maps ev to a TikTok event named name. defaultRegion is the phone
// region when the event names no country (the site's or endpoint's).
func Build(ev *event.Event, name, defaultRegion string) Event {
	raw := capi.ExtractRaw(ev.Data)
	region := piinorm.PhoneRegion(piinorm.EventCountries{PhoneCountry: raw.PhoneCountry, Country: raw.Country, Seen: ev.Context.Country}, defaultRegion, "")
	ext := ev.Context.UserID
	if ext == "" {
		ext = ev.UID
	}
	if ext == "" {
		ext = ev.AnonID
	}
	u := User{
		Email:      piinorm.Hash(piinorm.Email(raw.Email)),
		Phone:      piinorm.Hash(NormPhone(raw.Phone, region)),
		ExternalID: piinorm.Hash(piinorm.ExternalID(ext)),
		IP:         ev.Context.IP,
		UserAgent:  ev.Context.UserAgent,
	}
	if consent.Of(ev.Context.Consent, consent.Ads) != consent.Denied {
		u.TTCLID = ttclid(ev.Context.URL)
	}
	return Event{Event: name, EventTime: capi.EventTime(ev).Unix(), EventID: ev.ID, User: u,
		Page: Page{URL: ev.Context.URL, Referrer: ev.Context.Referrer}}
}

// ttclid is the TikTok click id of a landing URL, "" when none.
func ttclid(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	v := u.Query().Get("ttclid")
	if len(v) > 512 {
		return ""
	}
	return v
}
