package slack

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/popinbridge/bridge/forwarder/exporter/lead"
	"github.com/popinbridge/bridge/internal/event"
)

// Kinds of notification, by event name.
const (
	kindLead     = "lead"
	kindCall     = "call"
	kindRating   = "rating"
	kindSchedule = "schedule"
	kindOther    = "other"
)

// defaultEvents are the events a slack endpoint notifies unless its events
// name others explicitly: leads, ended calls (with their outcome), ratings
// and scheduled calls, from the browser and from Popin's server webhooks.
var defaultEvents = map[string]string{
	"popin_captured":          kindLead,
	"popin_user_captured":     kindLead,
	"popin_call_end":          kindCall,
	"popin_call_successful":   kindCall,
	"popin_call_missed":       kindCall,
	"popin_call_abandoned":    kindCall,
	"popin_rating_done":       kindRating,
	"popin_call_rated":        kindRating,
	"popin_schedule_created":  kindSchedule,
	"popin_scheduled_created": kindSchedule,
}

// outcomes of the call events.
var outcomes = map[string]string{
	"popin_call_end":        "ended",
	"popin_call_successful": "successful",
	"popin_call_missed":     "missed",
	"popin_call_abandoned":  "abandoned",
}

// facts is what a notification shows of an event.
type facts struct {
	kind                        string
	lead                        lead.Lead
	outcome, duration, agent    string
	rating, comment             string
	when                        string // a scheduled call's date and time as Popin wrote them
	group, page, title, callID  string
	utm                         [][2]string // sorted by key
	eventName, siteID, occurred string
}

// readFacts reads an event's facts; region is the phone region when the
// event names no country.
func readFacts(ev *event.Event, region string) facts {
	var m map[string]any
	_ = json.Unmarshal(ev.Data, &m) // malformed data shows what the context has
	props, _ := m["properties"].(map[string]any)
	f := facts{kind: defaultEvents[ev.Name], lead: lead.FromEvent(ev, region), eventName: ev.Name, siteID: ev.SiteID}
	if f.kind == "" {
		f.kind = kindOther
	}
	f.outcome = outcomes[ev.Name]
	f.duration = duration(lookup(m, props, "call_duration", "duration"))
	f.agent = text(lookup(m, props, "agent_name"))
	f.rating = text(lookup(m, props, "rating"))
	f.comment = text(lookup(m, props, "comment", "comments"))
	f.group = text(lookup(m, props, "group"))
	f.callID = text(lookup(m, props, "callId", "call_id"))
	if d, t := text(lookup(m, props, "scheduled_date")), text(lookup(m, props, "scheduled_time")); d != "" || t != "" {
		f.when = strings.TrimSpace(d + " " + t)
	} else if t := text(lookup(m, props, "time")); t != "" {
		f.when = strings.TrimSpace(t + " " + text(lookup(m, props, "timezone")))
	}
	f.page, f.title = ev.Context.URL, ev.Context.Title
	if f.page == "" {
		f.page = text(lookup(m, props, "url"))
	}
	f.utm = utm(ev.Context.UTM, props)
	if t := ev.ClientTime; !t.IsZero() {
		f.occurred = t.UTC().Format("2006-01-02 15:04 UTC")
	}
	return f
}

// lookup returns the first present value of keys in m, then in props.
func lookup(m, props map[string]any, keys ...string) any {
	for _, src := range []map[string]any{m, props} {
		for _, k := range keys {
			if v, ok := src[k]; ok && v != nil && text(v) != "" {
				return v
			}
		}
	}
	return nil
}

// text is a scalar as one line of text ("" for objects, arrays and null).
func text(v any) string {
	switch v := v.(type) {
	case string:
		return strings.Join(strings.Fields(v), " ")
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// duration shows a call duration given in seconds ("185" → "3 min 05 s");
// a value that is not a number of seconds is shown as it came.
func duration(v any) string {
	s := text(v)
	sec, err := strconv.ParseFloat(s, 64)
	if err != nil || sec < 0 || math.IsInf(sec, 0) || sec > 1e7 {
		return s
	}
	n := int64(math.Round(sec))
	switch {
	case n >= 3600:
		return fmt.Sprintf("%d h %02d min %02d s", n/3600, n%3600/60, n%60)
	case n >= 60:
		return fmt.Sprintf("%d min %02d s", n/60, n%60)
	}
	return fmt.Sprintf("%d s", n)
}

// utm returns the campaign of the event: ctx.utm, else the utm_* members
// of a server webhook's properties.meta.
func utm(ctx map[string]string, props map[string]any) [][2]string {
	var out [][2]string
	for k, v := range ctx {
		if v = text(v); v != "" {
			out = append(out, [2]string{k, v})
		}
	}
	if len(out) == 0 {
		meta, _ := props["meta"].(map[string]any)
		for k, v := range meta {
			if s := text(v); strings.HasPrefix(k, "utm_") && s != "" {
				out = append(out, [2]string{k, s})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
