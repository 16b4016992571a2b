package chsink

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/popinbridge/bridge/collector/chsink/internal/pii"
	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/consent"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/site"
)

// Window within which the client's clock is trusted for event_time (see
// the events DDL in internal/chdb for why the keys depend on it).
const (
	clientPast   = int64(30 * 24 * time.Hour / time.Second)
	clientFuture = int64(time.Hour / time.Second)
)

// DateTime range, in Unix seconds.
var (
	minDateTime = int64(0)
	maxDateTime = time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC).Unix()
)

const secondsPerDay = 24 * 60 * 60

// rows holds a batch column by column, in chdb.EventsColumns then
// chdb.EventsConsentColumns order, so a
// failed insert can be re-sent without converting the events again. The
// batch copies what it needs from the events and keeps no reference to
// them.
type rows struct {
	eventID, siteID, name, source                          strCol
	known                                                  []uint8
	uid, aid, sid                                          strCol
	seq                                                    []int64
	clientTS, receivedAt, eventTime, eventDate             []int64 // Unix seconds
	url, referrer, title                                   strCol
	utmSource, utmMedium, utmCampaign, utmTerm, utmContent strCol
	fbp, fbc, country, ip, userAgent, data, userID         strCol
	consentAnalytics, consentAds, consentFunctional        []int8 // consent.State: the Enum8 values

	pii pii.Scratch // for converting payloads

	// Scratch for insert: string views of one column, dates as time.Time.
	views []string
	dates []time.Time
}

func (r *rows) len() int { return len(r.known) }

// size is the bytes buffered, about what the batch weighs on the wire.
func (r *rows) size() int {
	n := len(r.known) * (1 + 8 + 4*4 + 3)
	for _, c := range r.strCols() {
		n += c.bytes() + len(c.end) // + one length byte per value
	}
	return n
}

func (r *rows) strCols() [22]*strCol {
	return [...]*strCol{&r.eventID, &r.siteID, &r.name, &r.source, &r.uid, &r.aid, &r.sid,
		&r.url, &r.referrer, &r.title, &r.utmSource, &r.utmMedium, &r.utmCampaign, &r.utmTerm, &r.utmContent,
		&r.fbp, &r.fbc, &r.country, &r.ip, &r.userAgent, &r.data, &r.userID}
}

// shape is how many rows a batch held.
type shape struct {
	rows int
}

func (r *rows) shape() shape { return shape{rows: r.len()} }

// reserve gives r room for a batch of shape sh, so that a new batch does
// not grow its per-row slices step by step to the size batches have (the
// String columns' bytes grow in chunks, without copying).
func (r *rows) reserve(sh shape) {
	for _, c := range r.strCols() {
		c.end = slices.Grow(c.end, sh.rows-len(c.end))
	}
	r.growFixed(sh.rows)
}

// growFixed gives the fixed-width columns room for n rows in all.
func (r *rows) growFixed(n int) {
	r.known = slices.Grow(r.known, n-len(r.known))
	n = cap(r.known)
	r.seq = slices.Grow(r.seq, n-len(r.seq))
	r.clientTS = slices.Grow(r.clientTS, n-len(r.clientTS))
	r.receivedAt = slices.Grow(r.receivedAt, n-len(r.receivedAt))
	r.eventTime = slices.Grow(r.eventTime, n-len(r.eventTime))
	r.eventDate = slices.Grow(r.eventDate, n-len(r.eventDate))
	r.consentAnalytics = slices.Grow(r.consentAnalytics, n-len(r.consentAnalytics))
	r.consentAds = slices.Grow(r.consentAds, n-len(r.consentAds))
	r.consentFunctional = slices.Grow(r.consentFunctional, n-len(r.consentFunctional))
}

// reset empties the batch, keeping the allocated capacity.
func (r *rows) reset() {
	for _, c := range r.strCols() {
		c.reset()
	}
	r.known, r.seq = r.known[:0], r.seq[:0]
	r.clientTS, r.receivedAt, r.eventTime, r.eventDate = r.clientTS[:0], r.receivedAt[:0], r.eventTime[:0], r.eventDate[:0]
	r.consentAnalytics, r.consentAds, r.consentFunctional = r.consentAnalytics[:0], r.consentAds[:0], r.consentFunctional[:0]
}

// add converts one event under its site's PII policy and default phone
// region (default_phone_region; the event's own countries come first, see
// pii.Region); it reports false when its data was not valid JSON (stored
// as {} so that no unchecked PII is written).
func (r *rows) add(e *event.Event, policy site.PIIPolicy, siteRegion string, seal pii.Sealer) bool {
	return r.addAs(e, policy, "", siteRegion, seal, false)
}

// addAs is add with the site's pii_names (names); anon stores the event anonymised because its visitor denied
// analytics: no personal data (as pii: drop), no visitor identifier (uid,
// aid, sid, user_id, fbp, fbc, IP, user agent, identifier members of data) and URLs
// without their query string.
func (r *rows) addAs(e *event.Event, policy site.PIIPolicy, names, siteRegion string, seal pii.Sealer, anon bool) bool {
	// Room for the payload and for the digests that may replace PII.
	r.data.room(len(e.Data) + 256)
	var err error
	if anon {
		policy = site.PIIDrop
		r.data.buf, err = r.pii.AppendAnonymous(r.data.buf, e.Data)
	} else {
		r.data.buf, err = r.pii.AppendApplyNames(r.data.buf, e.Data, policy, names, pii.Region{Seen: e.Context.Country, Site: siteRegion}, seal)
	}
	valid := err == nil
	if !valid {
		r.data.buf = append(r.data.buf, "{}"...)
	}
	r.data.seal()
	client, received := clampTime(e.ClientTime), clampTime(e.ReceivedAt)
	evTime := eventTime(client, received, e.ClientTime.IsZero(), e.ReceivedAt.IsZero())

	r.eventID.add(e.ID)
	r.siteID.add(e.SiteID)
	r.name.add(e.Name)
	r.source.add(string(e.Source))
	if len(r.known) == cap(r.known) {
		r.growFixed(len(r.known) + max(len(r.known), 256))
	}
	r.known = append(r.known, b2u(e.Known))
	analytics, ads, functional := consent.Unknown, consent.Unknown, consent.Unknown
	if cs := e.Context.Consent; len(cs) > 0 { // most events carry none
		analytics, ads, functional = consent.Of(cs, consent.Analytics), consent.Of(cs, consent.Ads), consent.Of(cs, consent.Functional)
	}
	r.consentAnalytics = append(r.consentAnalytics, int8(analytics))
	r.consentAds = append(r.consentAds, int8(ads))
	r.consentFunctional = append(r.consentFunctional, int8(functional))
	c := &e.Context
	uid, aid, sid, url, referrer, fbp, fbc, ua, userID := e.UID, e.AnonID, e.SessionID, c.URL, c.Referrer, c.FBP, c.FBC, c.UserAgent, c.UserID
	if anon { // no visitor identifier; URLs without query or fragment (click ids, e-mails in links)
		uid, aid, sid, fbp, fbc, ua, userID = "", "", "", "", "", "", ""
		url, referrer = withoutQuery(url), withoutQuery(referrer)
	}
	r.uid.add(uid)
	r.aid.add(aid)
	r.sid.add(sid)
	r.seq = append(r.seq, e.Seq)
	r.clientTS = append(r.clientTS, client)
	r.receivedAt = append(r.receivedAt, received)
	r.eventTime = append(r.eventTime, evTime)
	r.eventDate = append(r.eventDate, evTime-evTime%secondsPerDay)
	r.url.add(url)
	r.referrer.add(referrer)
	r.title.add(c.Title)
	r.utmSource.add(utm(c.UTM, "source", "utm_source"))
	r.utmMedium.add(utm(c.UTM, "medium", "utm_medium"))
	r.utmCampaign.add(utm(c.UTM, "campaign", "utm_campaign"))
	r.utmTerm.add(utm(c.UTM, "term", "utm_term"))
	r.utmContent.add(utm(c.UTM, "content", "utm_content"))
	r.fbp.add(fbp)
	r.fbc.add(fbc)
	r.country.add(c.Country)
	r.ip.room(64)
	r.ip.buf = pii.AppendIP(r.ip.buf, c.IP, policy)
	r.ip.seal()
	r.userAgent.add(ua)
	r.userID.add(userID)
	return valid
}

// withoutQuery cuts a URL at its query or fragment.
func withoutQuery(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}

// eventTime is the client's time when it is plausible relative to the
// receive time, else the receive time. Both inputs are the same in every
// copy of an event that the log redelivers. Times are Unix seconds.
func eventTime(client, received int64, clientZero, receivedZero bool) int64 {
	switch {
	case receivedZero && clientZero:
		return minDateTime
	case receivedZero:
		return client
	case clientZero:
		return received
	}
	if client < received-clientPast || client > received+clientFuture {
		return received
	}
	return client
}

// utm reads key ("source") or else long ("utm_source") from the context's utm map.
func utm(m map[string]string, key, long string) string {
	if len(m) == 0 {
		return ""
	}
	if v, ok := m[key]; ok {
		return v
	}
	return m[long]
}

// clampTime is t in whole Unix seconds within the DateTime range.
func clampTime(t time.Time) int64 {
	return min(max(t.Unix(), minDateTime), maxDateTime)
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// blockRows is the most rows sent in one native block. An insert sends its
// batch as several blocks, which the server squashes into one part
// (min_insert_block_size_rows/bytes), so the driver's column buffers stay
// block-sized and are reused within the insert, and the server starts
// reading while the client still encodes.
const blockRows = 2048

// insert sends the rows in one INSERT with an explicit column list. Each
// column of a block is handed to the driver as one slice (no per-row
// boxing). The rows are inserted, or the error says they may not be.
func (r *rows) insert(ctx context.Context, db *chdb.DB) error {
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO "+db.Table("events")+" ("+chdb.EventsColumns+", "+chdb.EventsConsentColumns+")")
	if err != nil {
		return fmt.Errorf("prepare insert: %w", err)
	}
	n := r.len()
	for lo := 0; lo < n; lo += blockRows {
		hi := min(lo+blockRows, n)
		if err := r.appendBlock(b, lo, hi); err != nil {
			_ = b.Abort()
			return err
		}
		if hi < n {
			if err := b.Flush(); err != nil {
				_ = b.Abort()
				return fmt.Errorf("send rows %d-%d of %d: %w", lo, hi, n, err)
			}
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("send %d rows: %w", n, err)
	}
	return nil
}

// appendBlock appends rows [lo, hi) to the batch's columns.
func (r *rows) appendBlock(b driver.Batch, lo, hi int) error {
	k := hi - lo
	if cap(r.views) < k {
		r.views = make([]string, k)
		r.dates = make([]time.Time, k)
	}
	views, dates := r.views[:k], r.dates[:k]
	defer clear(views) // do not pin buffers that a later batch may outgrow
	str := func(c *strCol) any { c.views(views, lo); return views }
	cols := [...]func() any{
		func() any { return str(&r.eventID) }, func() any { return str(&r.siteID) },
		func() any { return str(&r.name) }, func() any { return str(&r.source) },
		func() any { return r.known[lo:hi] },
		func() any { return str(&r.uid) }, func() any { return str(&r.aid) }, func() any { return str(&r.sid) },
		func() any { return r.seq[lo:hi] },
		func() any { return r.clientTS[lo:hi] }, func() any { return r.receivedAt[lo:hi] },
		func() any { return r.eventTime[lo:hi] },
		func() any {
			for i, d := range r.eventDate[lo:hi] {
				dates[i] = time.Unix(d, 0).UTC()
			}
			return dates
		},
		func() any { return str(&r.url) }, func() any { return str(&r.referrer) }, func() any { return str(&r.title) },
		func() any { return str(&r.utmSource) }, func() any { return str(&r.utmMedium) },
		func() any { return str(&r.utmCampaign) }, func() any { return str(&r.utmTerm) },
		func() any { return str(&r.utmContent) },
		func() any { return str(&r.fbp) }, func() any { return str(&r.fbc) }, func() any { return str(&r.country) },
		func() any { return str(&r.ip) }, func() any { return str(&r.userAgent) }, func() any { return str(&r.data) },
		func() any { return str(&r.userID) },
		func() any { return r.consentAnalytics[lo:hi] }, func() any { return r.consentAds[lo:hi] },
		func() any { return r.consentFunctional[lo:hi] },
	}
	for i, col := range cols {
		// The driver copies the values, so views may be refilled for the next column.
		if err := b.Column(i).Append(col()); err != nil {
			return fmt.Errorf("column %d: %w", i, err)
		}
	}
	return nil
}
