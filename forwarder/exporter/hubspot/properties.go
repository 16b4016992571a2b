package hubspot

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/popinbridge/bridge/forwarder/exporter/lead"
	"github.com/popinbridge/bridge/internal/event"
)

// properties are the contact properties an event sets (empty values are
// left out, so an event never clears what HubSpot holds):
//
//	email      the captured e-mail, trimmed and lower-cased (also the id)
//	firstname  first_name, else the first word of name
//	lastname   last_name, else the rest of name
//	phone      E.164 ("+919876543210") when the country is known, else as typed
//	city, state, zip, country   as captured (zip from pin_code)
//
// then each property_map entry whose source has a value (it may replace
// one of the above, never email).
func properties(ev *event.Event, l lead.Lead, pmap map[string]string) map[string]string {
	p := map[string]string{"email": l.Email}
	set := func(k, v string) {
		if v != "" {
			p[k] = v
		}
	}
	set("firstname", l.FirstName)
	set("lastname", l.LastName)
	set("phone", l.Phone)
	set("city", l.City)
	set("state", l.State)
	set("zip", l.Zip)
	set("country", l.Country)
	if len(pmap) == 0 {
		return p
	}
	var data map[string]any
	_ = json.Unmarshal(ev.Data, &data) // malformed data: no data.* values
	props, _ := data["properties"].(map[string]any)
	for src, prop := range pmap {
		if prop != "email" {
			set(prop, source(ev, data, props, src))
		}
	}
	return p
}

// source is the value of a property_map source for an event ("" when the
// event has none): utm_* from ctx.utm (else a server webhook's
// properties.meta), page_url (ctx.url, else properties.url), page_title,
// referrer, event_name, site, and data.<member> (a scalar member of data,
// else of data.properties).
func source(ev *event.Event, data, props map[string]any, src string) string {
	switch {
	case strings.HasPrefix(src, "utm_"):
		if v := ev.Context.UTM[src]; v != "" {
			return v
		}
		meta, _ := props["meta"].(map[string]any)
		return scalar(meta[src])
	case src == "page_url":
		if ev.Context.URL != "" {
			return ev.Context.URL
		}
		return scalar(props["url"])
	case src == "page_title":
		return ev.Context.Title
	case src == "referrer":
		return ev.Context.Referrer
	case src == "event_name":
		return ev.Name
	case src == "site":
		return ev.SiteID
	case strings.HasPrefix(src, "data."):
		k := strings.TrimPrefix(src, "data.")
		if v := scalar(data[k]); v != "" {
			return v
		}
		return scalar(props[k])
	}
	return ""
}

// scalar is a string, number or boolean as text; "" otherwise.
func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}
