// Package capi builds Meta Conversions API requests from bridge events:
// event mapping, Meta's normalisation and SHA-256 hashing of customer
// information, batching and classification of Graph API errors.
//
// No raw email, phone, name or address ever leaves in a request: user_data
// carries only hashes of them (plus the client IP, user agent, fbp and fbc,
// which Meta wants unhashed), and the event's own data is not copied.
package capi

import (
	"time"

	"github.com/popinbridge/bridge/internal/event"
)

// DefaultEventMap maps Popin event names to Meta standard events (CONTRACT §9).
func DefaultEventMap() map[string]string {
	return map[string]string{
		"popin_captured":         "Lead",
		"popin_schedule_created": "Schedule",
		"popin_call_end":         "Contact",
		"popin_call_successful":  "Contact",
	}
}

// MaxEventAge is how old an event_time Meta accepts ("up to 7 days"); the
// margin keeps a request from arriving just too late.
const MaxEventAge = 7*24*time.Hour - time.Hour

// MaxBatch is Meta's limit of events per request.
const MaxBatch = 1000

// ServerEvent is one element of the request's data array.
type ServerEvent struct {
	EventName      string   `json:"event_name"`
	EventTime      int64    `json:"event_time"`
	EventID        string   `json:"event_id"`
	ActionSource   string   `json:"action_source"`
	EventSourceURL string   `json:"event_source_url,omitempty"`
	UserData       UserData `json:"user_data"`
	// Meta Limited Data Use (endpoint limited_data_use): ["LDU"] with a
	// country and state (0: Meta geolocates); absent without it.
	DataProcessingOptions        []string `json:"data_processing_options,omitempty"`
	DataProcessingOptionsCountry *int     `json:"data_processing_options_country,omitempty"`
	DataProcessingOptionsState   *int     `json:"data_processing_options_state,omitempty"`
}

// LimitedDataUse flags e for Meta's Limited Data Use with country and state.
func (e *ServerEvent) LimitedDataUse(country, state int) {
	e.DataProcessingOptions = []string{"LDU"}
	e.DataProcessingOptionsCountry, e.DataProcessingOptionsState = &country, &state
}

// EventTime is when ev happened as Meta should see it: the client's time,
// unless it is missing or claims to be more than a minute after the
// collector received the event, in which case the receive time.
func EventTime(ev *event.Event) time.Time {
	t := ev.ClientTime
	if t.IsZero() || (!ev.ReceivedAt.IsZero() && t.After(ev.ReceivedAt.Add(time.Minute))) {
		t = ev.ReceivedAt
	}
	return t
}

// TooOld reports whether ev is too old to send at now.
func TooOld(ev *event.Event, now time.Time) bool {
	t := EventTime(ev)
	return !t.IsZero() && now.Sub(t) > MaxEventAge
}

// Build maps ev to a server event named metaName. defaultRegion is the
// phone region used when the event names no country.
func Build(ev *event.Event, metaName, defaultRegion string) ServerEvent {
	return ServerEvent{
		EventName:      metaName,
		EventTime:      EventTime(ev).Unix(),
		EventID:        ev.ID,
		ActionSource:   "website",
		EventSourceURL: ev.Context.URL,
		UserData:       BuildUserData(ExtractRaw(ev.Data), ev, defaultRegion),
	}
}

// Request is the JSON body POSTed to {graph_url}/{api_version}/{pixel_id}/events.
type Request struct {
	Data          []ServerEvent `json:"data"`
	AccessToken   string        `json:"access_token,omitempty"`
	TestEventCode string        `json:"test_event_code,omitempty"`
}
