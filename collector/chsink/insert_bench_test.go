package chsink

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/testkit"
)

// sinkShaped is an event shaped like TestBenchSink's traffic (bench_test.go's
// benchEvent): a URL with a query, UTM values, a long user agent and title,
// one in ten a captured lead with PII. Templates repeat every 1 000 events.
func sinkShaped(i int) event.Event {
	t := time.Unix(1_700_000_000+int64(i), 0)
	e := event.Event{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), SiteID: "acme", Name: "nudge_show",
		Source: event.SourceBrowser, Known: true, UID: fmt.Sprintf("u-%d", i%7), AnonID: fmt.Sprintf("a-%d", i%5),
		SessionID: fmt.Sprintf("s-%d", i%3), Seq: int64(i), ClientTime: t, ReceivedAt: t.Add(300 * time.Millisecond),
		Context: event.Context{
			URL:      fmt.Sprintf("https://www.acme.com/products/category-%d/item-%d?ref=home&variant=blue", i%50, i%997),
			Referrer: "https://google.com/", Title: "Acme Store — Premium item with a reasonably long product title",
			UTM: map[string]string{"source": "fb", "medium": "cpc", "campaign": "c1", "term": "t", "content": "x"},
			FBP: "fb.1.1.1", FBC: "fb.1.1.abc", Country: "IN", IP: "203.0.113.77",
			UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"}}
	switch {
	case i%10 == 0:
		e.Name = "popin_captured"
		e.Data = []byte(fmt.Sprintf(`{"name":"Visitor %d","email":"visitor%d@example.com","country":"IN","mobile":"98765%05d","city":"Pune","pin_code":"411001","group":"sales","uid":"u-%d"}`, i, i, i%100000, i%7))
	case i%10 < 4:
		e.Name = "popin_screen_change"
		e.Data = []byte(fmt.Sprintf(`{"uid":"u-%d","screen":"screen-%d"}`, i%7, i%6))
	default:
		e.Data = []byte(fmt.Sprintf(`{"uid":"u-%d"}`, i%7))
	}
	return e
}

// BenchmarkRowsConvert converts TestBenchSink-shaped events into a
// recycled batch of 50 000 rows; ns/op is per event.
func BenchmarkRowsConvert(b *testing.B) {
	evs := make([]event.Event, 1000)
	for i := range evs {
		evs[i] = sinkShaped(i)
	}
	var r rows
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if r.len() == 50_000 {
			r.reset()
		}
		r.add(&evs[i%len(evs)], site.PIIHash, "IN", nil)
	}
}

// BenchmarkRowsInsert inserts a batch of 50 000 TestBenchSink-shaped rows
// into a local ClickHouse; ns/op is per insert. It measures the client
// side of an insert (the driver's copy, encoding, compression) with the
// server's share, reported as CPU per insert on each side (less noisy than
// ns/op). BRIDGE_BENCH_COMPRESSION=none inserts uncompressed.
func BenchmarkRowsInsert(b *testing.B) {
	srv := chtest.Shared(b)
	cfg := chdb.NewDefaultConfig()
	cfg.Addr = srv.Addr()
	cfg.Database = fmt.Sprintf("chsink_bench_%d", os.Getpid())
	if v := os.Getenv("BRIDGE_BENCH_COMPRESSION"); v != "" {
		cfg.Compression = v
	}
	ctx := context.Background()
	db, err := chdb.Open(ctx, cfg, chdb.Settings{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var r rows
	for i := range 50_000 {
		e := sinkShaped(i % 1000)
		r.add(&e, site.PIIHash, "IN", nil)
	}
	b.ReportAllocs()
	cpu0, srv0 := testkit.SelfCPU(), testkit.CPUOfCommand(srv.Dir, "clickhouse")
	for b.Loop() {
		if err := r.insert(ctx, db); err != nil {
			b.Fatal(err)
		}
	}
	// The client's CPU (this process), less noisy than ns/op, which waits for the server.
	b.ReportMetric(float64((testkit.SelfCPU()-cpu0).Microseconds())/1000/float64(b.N), "client-cpu-ms/op")
	b.ReportMetric(float64((testkit.CPUOfCommand(srv.Dir, "clickhouse")-srv0).Microseconds())/1000/float64(b.N), "server-cpu-ms/op")
}
