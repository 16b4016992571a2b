// Package payload builds webhook bodies: the default body of CONTRACT §8 and
// per-endpoint JSON templates.
//
// A template is a JSON document whose string leaves are Go text/templates
// evaluated against the event (see View). Keys and non-string leaves are
// copied as they are. A leaf that is a single action, like "{{.data.email}}"
// or "{{.data | json}}", takes the value's JSON type (a string stays a
// string, an object stays an object, a missing value becomes null); any
// other leaf renders to text and becomes a JSON string. The output is
// therefore always valid JSON, whatever the event holds.
package payload

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/popinbridge/bridge/collector/event"
)

// Default is the body sent when an endpoint has no template.
type Default struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Timestamp string          `json:"timestamp"`
	Site      string          `json:"site"`
	Source    string          `json:"source"`
	Data      json.RawMessage `json:"data"`
	Context   event.Context   `json:"context"`
}

// DefaultBody renders the default body of ev.
func DefaultBody(ev *event.Event) ([]byte, error) {
	data := ev.Data
	if len(bytes.TrimSpace(data)) == 0 || !json.Valid(data) {
		data = json.RawMessage("{}")
	}
	return json.Marshal(Default{
		ID:        ev.ID,
		Type:      ev.Name,
		Timestamp: Timestamp(ev).UTC().Format(time.RFC3339Nano),
		Site:      ev.SiteID,
		Source:    string(ev.Source),
		Data:      data,
		Context:   ev.Context,
	})
}

// Timestamp is when the event happened: the client's time, or the receive
// time when that is missing.
func Timestamp(ev *event.Event) time.Time {
	if ev.ClientTime.IsZero() {
		return ev.ReceivedAt
	}
	return ev.ClientTime
}

// View is what a template sees: the default body's fields under their JSON
// names (id, type, timestamp, site, source, data, context) plus uid, aid,
// sid, received_at and event (the whole default body as a map).
func View(ev *event.Event) map[string]any {
	body, _ := DefaultBody(ev)
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	v := map[string]any{}
	for k, x := range m {
		v[k] = x
	}
	if _, ok := v["data"].(map[string]any); !ok && v["data"] == nil {
		v["data"] = map[string]any{}
	}
	v["uid"] = ev.UID
	v["aid"] = ev.AnonID
	v["sid"] = ev.SessionID
	v["received_at"] = ev.ReceivedAt.UTC().Format(time.RFC3339Nano)
	v["event"] = m
	return v
}
