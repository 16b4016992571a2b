package popinhook

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/popinbridge/bridge/internal/country"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/schemas"
)

// parsedKey is the top-level key Parse adds to Data (see the package doc).
const parsedKey = "bridge_parsed"

// maxNameLen bounds the event name.
const maxNameLen = 200

// Parse turns one webhook body from Popin's servers into an event for
// siteID. receivedAt becomes ReceivedAt and is the fallback ClientTime. See
// the package documentation for how each field is filled. body is not
// retained: Data is a new slice.
func Parse(siteID string, body []byte, receivedAt time.Time) (event.Event, error) {
	if !utf8.Valid(body) {
		return event.Event{}, malformed("not valid UTF-8")
	}
	obj, err := scanObject(body)
	if err != nil {
		return event.Event{}, err
	}
	name, err := eventName(obj)
	if err != nil {
		return event.Event{}, err
	}
	uid, err := userID(obj)
	if err != nil {
		return event.Event{}, err
	}
	_, known := schemas.Lookup(event.SourcePopinServer, name)
	ev := event.Event{
		ID:         eventID(siteID, body),
		SiteID:     siteID,
		Name:       name,
		Source:     event.SourcePopinServer,
		Known:      known,
		UID:        uid,
		ClientTime: receivedAt,
		ReceivedAt: receivedAt,
	}

	parsed := make(map[string]string)
	if raw, ok := obj.get("timestamp"); ok {
		if t, ok := parseTimestamp(raw, receivedAt); ok {
			ev.ClientTime = t
			parsed["timestamp"] = t.Format(time.RFC3339Nano)
		}
	}
	props := properties(obj)
	scheduled(parsed, obj, props)
	ev.Context = context(obj, props)
	ev.Data = withParsed(body, obj, parsed)
	return ev, nil
}

func eventName(obj object) (string, error) {
	raw, ok := obj.get("event")
	if !ok {
		return "", invalid("event", "required")
	}
	if k := kind(raw); k != "string" {
		return "", invalid("event", "want string, got "+k)
	}
	var name string
	if err := json.Unmarshal(raw, &name); err != nil {
		return "", invalid("event", "unreadable string")
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", invalid("event", "empty")
	case len(name) > maxNameLen:
		return "", invalid("event", "longer than 200 bytes")
	}
	return name, nil
}

// userID reads user_id: a string, a number's literal text, or "" for
// null or absent.
func userID(obj object) (string, error) {
	raw, ok := obj.get("user_id")
	if !ok {
		return "", nil
	}
	switch k := kind(raw); k {
	case "null":
		return "", nil
	case "number":
		return string(bytes.TrimSpace(raw)), nil
	case "string":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", invalid("user_id", "unreadable string")
		}
		return s, nil
	default:
		return "", invalid("user_id", "want string or number, got "+k)
	}
}

// properties decodes the properties object; anything else gives nil.
func properties(obj object) map[string]json.RawMessage {
	raw, ok := obj.get("properties")
	if !ok || kind(raw) != "object" {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// str reads a raw value as a string: strings as they are, numbers as their
// literal text; ok is false for anything else.
func str(raw json.RawMessage) (string, bool) {
	switch kind(raw) {
	case "string":
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	case "number":
		return string(bytes.TrimSpace(raw)), true
	}
	return "", false
}

// field finds key in properties, then at the top level.
func field(obj object, props map[string]json.RawMessage, key string) (string, bool) {
	if raw, ok := props[key]; ok {
		if s, ok := str(raw); ok {
			return s, true
		}
	}
	if raw, ok := obj.get(key); ok {
		return str(raw)
	}
	return "", false
}

func scheduled(parsed map[string]string, obj object, props map[string]json.RawMessage) {
	if date, ok := field(obj, props, "scheduled_date"); ok {
		clock, _ := field(obj, props, "scheduled_time")
		schedule(parsed, "scheduled_at", "scheduled_date", date, clock)
	}
	if date, ok := field(obj, props, "scheduled_date_local"); ok {
		clock, _ := field(obj, props, "scheduled_time_local")
		schedule(parsed, "scheduled_at_local", "scheduled_date_local", date, clock)
	}
}

// context fills what the webhook tells about the visitor's country, page
// and campaign.
func context(obj object, props map[string]json.RawMessage) event.Context {
	var c event.Context
	for _, raw := range []json.RawMessage{lookup(obj, "country_code"), props["customer_country_code"]} {
		if s, ok := str(raw); ok {
			if iso, ok := country.Normalize(s); ok {
				c.Country = iso
				break
			}
		}
	}
	if s, ok := str(props["url"]); ok && kind(props["url"]) == "string" {
		c.URL = s
	}
	if raw := props["meta"]; kind(raw) == "object" {
		var meta map[string]json.RawMessage
		if json.Unmarshal(raw, &meta) == nil {
			for k, v := range meta {
				if !strings.HasPrefix(k, "utm_") || kind(v) != "string" {
					continue
				}
				if s, ok := str(v); ok && s != "" {
					if c.UTM == nil {
						c.UTM = make(map[string]string)
					}
					c.UTM[k] = s
				}
			}
		}
	}
	return c
}

func lookup(obj object, key string) json.RawMessage {
	raw, _ := obj.get(key)
	return raw
}
