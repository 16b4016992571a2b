package chsink

import (
	"context"
	"fmt"
	"time"

	"github.com/popinbridge/bridge/collector/chsink/internal/pii"
	"github.com/popinbridge/bridge/collector/event"
	"github.com/popinbridge/bridge/collector/site"
	"github.com/popinbridge/bridge/internal/chdb"
)

// Window within which the client's clock is trusted for event_time (see
// the events DDL in internal/chdb for why the keys depend on it).
const (
	clientPast   = 30 * 24 * time.Hour
	clientFuture = time.Hour
)

var (
	minDateTime = time.Unix(0, 0).UTC()
	maxDateTime = time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC)
)

// rows holds a batch column by column, in chdb.EventsColumns order, so a
// failed insert can be re-sent without converting the events again.
type rows struct {
	eventID, siteID, name, source                          []string
	known                                                  []uint8
	uid, aid, sid                                          []string
	seq                                                    []int64
	clientTS, receivedAt, eventTime, eventDate             []time.Time
	url, referrer, title                                   []string
	utmSource, utmMedium, utmCampaign, utmTerm, utmContent []string
	fbp, fbc, country, ip, userAgent, data                 []string
}

func (r *rows) len() int { return len(r.eventID) }

// grow preallocates room for n rows.
func (r *rows) grow(n int) {
	for _, p := range r.strCols() {
		*p = make([]string, 0, n)
	}
	for _, p := range r.timeCols() {
		*p = make([]time.Time, 0, n)
	}
	r.known, r.seq = make([]uint8, 0, n), make([]int64, 0, n)
}

func (r *rows) strCols() []*[]string {
	return []*[]string{&r.eventID, &r.siteID, &r.name, &r.source, &r.uid, &r.aid, &r.sid,
		&r.url, &r.referrer, &r.title, &r.utmSource, &r.utmMedium, &r.utmCampaign, &r.utmTerm, &r.utmContent,
		&r.fbp, &r.fbc, &r.country, &r.ip, &r.userAgent, &r.data}
}

func (r *rows) timeCols() []*[]time.Time {
	return []*[]time.Time{&r.clientTS, &r.receivedAt, &r.eventTime, &r.eventDate}
}

// reset empties the batch, keeping the allocated capacity.
func (r *rows) reset() {
	for _, p := range r.strCols() {
		clear(*p) // drop references so the strings can be collected
		*p = (*p)[:0]
	}
	for _, p := range r.timeCols() {
		*p = (*p)[:0]
	}
	r.known, r.seq = r.known[:0], r.seq[:0]
}

// add converts one event; it reports false when its data was not valid
// JSON (stored as {} so that no unchecked PII is written).
func (r *rows) add(e *event.Event, sites site.Registry) bool {
	policy, region := site.PIIHash, ""
	if s, ok := sites.ByID(e.SiteID); ok {
		policy, region = s.PII, s.DefaultPhoneRegion
	}
	data, err := pii.Apply(e.Data, policy, region)
	valid := err == nil
	if !valid {
		data = "{}"
	}
	client, received := clampTime(e.ClientTime), clampTime(e.ReceivedAt)
	evTime := eventTime(client, received, e.ClientTime.IsZero(), e.ReceivedAt.IsZero())

	r.eventID = append(r.eventID, e.ID)
	r.siteID = append(r.siteID, e.SiteID)
	r.name = append(r.name, e.Name)
	r.source = append(r.source, string(e.Source))
	r.known = append(r.known, b2u(e.Known))
	r.uid = append(r.uid, e.UID)
	r.aid = append(r.aid, e.AnonID)
	r.sid = append(r.sid, e.SessionID)
	r.seq = append(r.seq, e.Seq)
	r.clientTS = append(r.clientTS, client)
	r.receivedAt = append(r.receivedAt, received)
	r.eventTime = append(r.eventTime, evTime)
	r.eventDate = append(r.eventDate, evTime.Truncate(24*time.Hour))
	c := &e.Context
	r.url = append(r.url, c.URL)
	r.referrer = append(r.referrer, c.Referrer)
	r.title = append(r.title, c.Title)
	r.utmSource = append(r.utmSource, utm(c.UTM, "source"))
	r.utmMedium = append(r.utmMedium, utm(c.UTM, "medium"))
	r.utmCampaign = append(r.utmCampaign, utm(c.UTM, "campaign"))
	r.utmTerm = append(r.utmTerm, utm(c.UTM, "term"))
	r.utmContent = append(r.utmContent, utm(c.UTM, "content"))
	r.fbp = append(r.fbp, c.FBP)
	r.fbc = append(r.fbc, c.FBC)
	r.country = append(r.country, c.Country)
	r.ip = append(r.ip, pii.IP(c.IP, policy))
	r.userAgent = append(r.userAgent, c.UserAgent)
	r.data = append(r.data, data)
	return valid
}

// eventTime is the client's time when it is plausible relative to the
// receive time, else the receive time. Both inputs are the same in every
// copy of an event that the log redelivers.
func eventTime(client, received time.Time, clientZero, receivedZero bool) time.Time {
	switch {
	case receivedZero && clientZero:
		return minDateTime
	case receivedZero:
		return client
	case clientZero:
		return received
	}
	if client.Before(received.Add(-clientPast)) || client.After(received.Add(clientFuture)) {
		return received
	}
	return client
}

// utm reads "source" or "utm_source" from the context's utm map.
func utm(m map[string]string, key string) string {
	if v, ok := m[key]; ok {
		return v
	}
	return m["utm_"+key]
}

func clampTime(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Second)
	if t.Before(minDateTime) {
		return minDateTime
	}
	if t.After(maxDateTime) {
		return maxDateTime
	}
	return t
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// insert sends the rows in one INSERT with an explicit column list.
func (r *rows) insert(ctx context.Context, db *chdb.DB) error {
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO "+db.Table("events")+" ("+chdb.EventsColumns+")")
	if err != nil {
		return fmt.Errorf("prepare insert: %w", err)
	}
	cols := []any{
		r.eventID, r.siteID, r.name, r.source, r.known, r.uid, r.aid, r.sid, r.seq,
		r.clientTS, r.receivedAt, r.eventTime, r.eventDate, r.url, r.referrer, r.title,
		r.utmSource, r.utmMedium, r.utmCampaign, r.utmTerm, r.utmContent,
		r.fbp, r.fbc, r.country, r.ip, r.userAgent, r.data,
	}
	for i, c := range cols {
		if err := b.Column(i).Append(c); err != nil {
			_ = b.Abort()
			return fmt.Errorf("column %d: %w", i, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("send %d rows: %w", r.len(), err)
	}
	return nil
}
