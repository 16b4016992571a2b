package controlplane

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// TestBenchAnalytics times the funnel and the summary over 30 days and a
// million events of one site (and 100 000 of another), against a baseline
// measured in the same run: one scan of the same rows
// (uniqExact(event_id) over the range). Skipped unless BRIDGE_BENCH=1.
func TestBenchAnalytics(t *testing.T) {
	if os.Getenv("BRIDGE_BENCH") != "1" {
		t.Skip("set BRIDGE_BENCH=1")
	}
	const n = 1_000_000
	db := openHistory(t)
	steps := DefaultFunnelSteps
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var evs []aev
	flush := func() { insertAnalyticsEvents(t, db, evs); evs = evs[:0] }
	for i := 0; i < n+n/10; i++ {
		site := "acme"
		if i >= n {
			site = "other"
		}
		visitor := i / 4 // ~4 events per visitor, walking into the funnel
		name := steps[(i%4)+(visitor%3)]
		at := t0.Add(time.Duration(i%(30*24*3600)) * time.Second)
		evs = append(evs, aev{id: fmt.Sprintf("e%d", i), site: site, name: name, uid: fmt.Sprintf("u%d", visitor), at: at,
			data: `{"uid":"x","screen":"lead_form","rating":4}`, url: "https://www.acme.com/p?x=1", utm: [3]string{"fb", "paid", "diwali"}})
		if len(evs) == 100_000 {
			flush()
		}
	}
	flush()
	a := NewClickHouseAnalytics(db)
	q := AnalyticsQuery{SiteID: "acme", From: t0, To: t0.Add(30 * 24 * time.Hour), Location: time.UTC}
	ctx := context.Background()
	timeIt := func(fn func() error) time.Duration {
		best := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			if err := fn(); err != nil {
				t.Fatal(err)
			}
			best = min(best, time.Since(start))
		}
		return best
	}
	scan := timeIt(func() error {
		var c uint64
		return db.Conn().QueryRow(ctx, "SELECT uniqExact(event_id) FROM "+db.Table("events")+
			" WHERE site_id = ? AND event_time >= toDateTime(?) AND event_time < toDateTime(?)", "acme", q.From.Unix(), q.To.Unix()).Scan(&c)
	})
	funnel := timeIt(func() error { _, err := a.Funnel(ctx, q, steps); return err })
	summary := timeIt(func() error { _, err := a.Summary(ctx, q); return err })
	fmt.Printf("BENCH analytics: funnel %v, summary %v over 30 days and %d events; baseline scan %v; ratios %.1fx, %.1fx (target <= 10x)\n",
		funnel.Round(time.Millisecond), summary.Round(time.Millisecond), n, scan.Round(time.Millisecond),
		float64(funnel)/float64(scan), float64(summary)/float64(scan))
	if funnel > 10*scan || summary > 10*scan {
		t.Errorf("analytics over 10x a scan of the same rows: funnel %v, summary %v, scan %v", funnel, summary, scan)
	}
}
