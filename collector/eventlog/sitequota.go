package eventlog

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// Fair share. The log's capacity (max_bytes) is shared between sites: a site
// may hold at most siteLimit bytes of unpurged segments, max(site_max_share ×
// max_bytes, 4 × max_commit_bytes); an Append that would take one of its
// sites over is refused with ErrSiteFull (which is an ErrFull: the collector
// answers it as "log full", 503 + Retry-After) while other sites' appends go
// on. Bytes are the encoded sizes of the site's events; the limit is soft by
// at most the appends in flight at the same moment (checked, then counted).
//
// Counting, in memory: live holds each site's bytes in flight or committed
// and not yet purged. Committed bytes are grouped in buckets of consecutive
// segments (a bucket closes at max_bytes/64 bytes, so at most ~64 are open);
// a bucket is uncounted once purge (or max_age) removed all its segments, so
// a site's count may lag a purge by one bucket. Each segment carries its
// sites' byte counts in the Bridge-Site-Bytes header, from which Start
// rebuilds the counts (a headers-only scan of the stream; segments written
// before this header existed count for no site).
type siteQuota struct {
	limit     int64
	bucketMax int64

	mu      sync.Mutex
	live    map[string]int64
	buckets []*quotaBucket // by sequence; the last one is open
}

type quotaBucket struct {
	last  uint64
	bytes int64
	sites map[string]int64
}

const siteBytesHeader = "Bridge-Site-Bytes"

func newSiteQuota(cfg Config) *siteQuota {
	limit := max(int64(cfg.SiteMaxShare*float64(cfg.MaxBytes)), 4*int64(cfg.MaxCommitBytes))
	if cfg.SiteMaxShare >= 1 {
		limit = math.MaxInt64 // off: only the whole log's max_bytes applies
	}
	return &siteQuota{limit: limit, bucketMax: max(cfg.MaxBytes/64, 1), live: make(map[string]int64)}
}

// check returns ErrSiteFull if adding add's bytes would take a site over its limit.
func (q *siteQuota) check(add map[string]int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for site, n := range add {
		if have := q.live[site]; have+n > q.limit {
			return fmt.Errorf("eventlog: append: site %q holds %d bytes, its share is %d: %w", site, have, q.limit, ErrSiteFull)
		}
	}
	return nil
}

// add counts n bytes of site in flight.
func (q *siteQuota) add(site string, n int64) {
	q.mu.Lock()
	q.live[site] += n
	q.mu.Unlock()
}

// release uncounts bytes in flight that were not committed.
func (q *siteQuota) release(sites map[string]int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for site, n := range sites {
		q.sub(site, n)
	}
}

func (q *siteQuota) sub(site string, n int64) {
	if q.live[site] -= n; q.live[site] <= 0 {
		delete(q.live, site)
	}
}

// committed files the bytes of segment seq (already counted live) in a bucket.
func (q *siteQuota) committed(seq uint64, sites map[string]int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.file(seq, sites)
}

// restore counts a segment found at Start.
func (q *siteQuota) restore(seq uint64, sites map[string]int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for site, n := range sites {
		q.live[site] += n
	}
	q.file(seq, sites)
}

func (q *siteQuota) file(seq uint64, sites map[string]int64) {
	var b *quotaBucket
	if n := len(q.buckets); n > 0 && q.buckets[n-1].bytes < q.bucketMax {
		b = q.buckets[n-1]
	} else {
		b = &quotaBucket{sites: make(map[string]int64)}
		q.buckets = append(q.buckets, b)
	}
	b.last = max(b.last, seq)
	for site, n := range sites {
		b.sites[site] += n
		b.bytes += n
	}
}

// purged uncounts the buckets whose segments are all below first.
func (q *siteQuota) purged(first uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := 0
	for ; i < len(q.buckets) && q.buckets[i].last < first; i++ {
		for site, n := range q.buckets[i].sites {
			q.sub(site, n)
		}
		q.buckets[i] = nil
	}
	q.buckets = q.buckets[i:]
}

// largest is the most bytes one site holds.
func (q *siteQuota) largest() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	var m int64
	for _, n := range q.live {
		m = max(m, n)
	}
	return m
}

func encodeSiteBytes(sites map[string]int64) string {
	v := make(url.Values, len(sites))
	for site, n := range sites {
		v.Set(site, strconv.FormatInt(n, 10))
	}
	return v.Encode()
}

func decodeSiteBytes(h string) map[string]int64 {
	v, _ := url.ParseQuery(h)
	out := make(map[string]int64, len(v))
	for site, ns := range v {
		if n, err := strconv.ParseInt(ns[0], 10, 64); err == nil && n > 0 {
			out[site] = n
		}
	}
	return out
}

// restoreQuota counts the segments of the stream from their headers.
func (l *Log) restoreQuota(ctx context.Context, q *siteQuota) error {
	err := scanStream(ctx, l.stream, 1, true, func(msg jetstream.Msg, meta *jetstream.MsgMetadata) error {
		if h := msg.Headers().Get(siteBytesHeader); h != "" {
			q.restore(meta.Sequence.Stream, decodeSiteBytes(h))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("eventlog: count site bytes: %w", err)
	}
	return nil
}
