package rules

import (
	"encoding/json"
	"time"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/payload"
)

// Env is what an expression sees of one event (see the package doc).
type Env struct {
	ID         string         `expr:"id"`
	Name       string         `expr:"name"`
	Site       string         `expr:"site"`
	Source     string         `expr:"source"`
	Known      bool           `expr:"known"`
	UID        string         `expr:"uid"`
	AID        string         `expr:"aid"`
	SID        string         `expr:"sid"`
	Seq        int            `expr:"seq"`
	TS         string         `expr:"ts"`
	ReceivedAt string         `expr:"received_at"`
	Data       map[string]any `expr:"data"`
	Ctx        Context        `expr:"ctx"`
	Consent    map[string]any `expr:"consent"`
}

// Context is the event's context under the names of its JSON form; a
// transform that returns it writes those names.
type Context struct {
	URL       string         `expr:"url" json:"url"`
	Referrer  string         `expr:"ref" json:"ref"`
	Title     string         `expr:"title" json:"title"`
	UTM       map[string]any `expr:"utm" json:"utm"`
	FBP       string         `expr:"fbp" json:"fbp"`
	FBC       string         `expr:"fbc" json:"fbc"`
	Consent   map[string]any `expr:"consent" json:"consent"`
	Country   string         `expr:"country" json:"country"`
	IP        string         `expr:"ip" json:"ip"`
	UserAgent string         `expr:"ua" json:"ua"`
}

// NewEnv builds the environment of ev. It never fails: data that is not a
// JSON object reads as {}.
func NewEnv(ev *event.Event) *Env {
	c := &ev.Context
	consent := make(map[string]any, len(c.Consent))
	for k, v := range c.Consent {
		consent[k] = v
	}
	utm := make(map[string]any, len(c.UTM))
	for k, v := range c.UTM {
		utm[k] = v
	}
	var data map[string]any
	if len(ev.Data) > 0 && json.Unmarshal(ev.Data, &data) != nil {
		data = nil
	}
	if data == nil {
		data = map[string]any{}
	}
	return &Env{
		ID: ev.ID, Name: ev.Name, Site: ev.SiteID, Source: string(ev.Source), Known: ev.Known,
		UID: ev.UID, AID: ev.AnonID, SID: ev.SessionID, Seq: int(ev.Seq),
		TS:         payload.Timestamp(ev).UTC().Format(time.RFC3339Nano),
		ReceivedAt: ev.ReceivedAt.UTC().Format(time.RFC3339Nano),
		Data:       data,
		Ctx: Context{URL: c.URL, Referrer: c.Referrer, Title: c.Title, UTM: utm, FBP: c.FBP, FBC: c.FBC,
			Consent: consent, Country: c.Country, IP: c.IP, UserAgent: c.UserAgent},
		Consent: consent,
	}
}
