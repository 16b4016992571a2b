// Package event defines the canonical event that flows from the collector
// through the durable log to the ClickHouse sink and the forwarder.
//
// An Event is immutable once appended to the log: consumers must copy before
// changing any field.
package event

import (
	"encoding/json"
	"time"
)

// Source says where an event came from.
type Source string

const (
	// SourceBrowser marks events captured by the widget SDK in a visitor's browser.
	SourceBrowser Source = "browser"
	// SourcePopinServer marks webhooks sent by Popin's servers.
	SourcePopinServer Source = "popin_server"
	// SourceCustom marks events sent with PopinBridge.track() by the site itself.
	SourceCustom Source = "custom"
)

// Event is one accepted event. ID is the client-made UUID and the event's
// identity everywhere: ClickHouse row, webhook-id, CAPI event_id.
type Event struct {
	ID     string `json:"id"`
	SiteID string `json:"site"`
	Name   string `json:"name"`
	Source Source `json:"source"`
	// Known is false when Name is not one of the schemas' event names; such
	// events are stored and forwarded all the same.
	Known bool `json:"known"`

	UID       string `json:"uid,omitempty"` // Popin's visitor id (data.uid, or user_id of a webhook)
	AnonID    string `json:"aid,omitempty"` // first-party anonymous id made by the SDK
	SessionID string `json:"sid,omitempty"`
	Seq       int64  `json:"seq,omitempty"`

	ClientTime time.Time `json:"ts"`          // when the browser (or Popin) says it happened
	ReceivedAt time.Time `json:"received_at"` // when the collector accepted it

	// Data is the event payload exactly as received: raw PII included. The
	// site's PII policy is applied by the ClickHouse sink, not here, so that
	// destinations such as CRMs and CAPI get what they need.
	Data    json.RawMessage `json:"data"`
	Context Context         `json:"ctx"`
}

// Context is what the SDK and the collector know about the page and client.
type Context struct {
	URL      string            `json:"url,omitempty"`
	Referrer string            `json:"ref,omitempty"`
	Title    string            `json:"title,omitempty"`
	UTM      map[string]string `json:"utm,omitempty"`
	FBP      string            `json:"fbp,omitempty"`
	FBC      string            `json:"fbc,omitempty"`
	Consent  map[string]bool   `json:"consent,omitempty"`
	UserID   string            `json:"user_id,omitempty"` // the site's own user id, from PopinBridge.identify
	// GAClientID is GA4's client id from the page's _ga cookie
	// ("<random>.<seconds>", ValidGAClientID), for the GA4 exporter only;
	// an online identifier, forwarded under the same consent as aid.
	GAClientID string `json:"ga_client_id,omitempty"`
	Country    string `json:"country,omitempty"` // ISO alpha-2 when known
	IP         string `json:"ip,omitempty"`      // set by the collector from the connection
	UserAgent  string `json:"ua,omitempty"`      // set by the collector from the request
}
