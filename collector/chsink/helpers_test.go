package chsink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/collector/chsink"
	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/testkit"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chtest.StopShared()
	os.Exit(code)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openDB opens srv with a database of the test's own and migrates it.
func openDB(t testing.TB, srv *chtest.Server) *chdb.DB {
	t.Helper()
	cfg := chdb.NewDefaultConfig()
	cfg.Addr, cfg.Database = srv.Addr(), chtest.DatabaseName("chsink")
	return chtest.MigratedDB(t, cfg, chdb.Settings{})
}

func testSites() *site.Static {
	return site.NewStatic([]site.Site{
		{ID: "acme", WriteKey: "pk_acme", PII: site.PIIHash, DefaultPhoneRegion: "IN"},
		{ID: "rawco", WriteKey: "pk_raw", PII: site.PIIRaw},
		{ID: "dropco", WriteKey: "pk_drop", PII: site.PIIDrop},
		{ID: "strictco", WriteKey: "pk_strict", PII: site.PIIHash, AnalyticsDenied: site.AnalyticsDeniedDrop},
		{ID: "namehashco", WriteKey: "pk_nh", PII: site.PIIHash, PIINames: site.PIINamesHash},
		{ID: "namedropco", WriteKey: "pk_nd", PII: site.PIIRaw, PIINames: site.PIINamesDrop},
	})
}

func startSink(t testing.TB, db *chdb.DB, r eventlog.Reader, mod func(*chsink.Config)) *chsink.Sink {
	t.Helper()
	s, _ := startSinkMetered(t, db, r, mod)
	return s
}

// startSinkMetered starts a sink whose metrics are registered with the
// returned registry.
func startSinkMetered(t testing.TB, db *chdb.DB, r eventlog.Reader, mod func(*chsink.Config)) (*chsink.Sink, *prometheus.Registry) {
	t.Helper()
	cfg := chsink.NewDefaultConfig()
	cfg.FlushInterval = 50 * time.Millisecond
	cfg.RetryInitialBackoff = 20 * time.Millisecond
	cfg.RetryMaxBackoff = 200 * time.Millisecond
	cfg.InsertTimeout = 5 * time.Second
	if mod != nil {
		mod(&cfg)
	}
	reg := prometheus.NewRegistry()
	s, err := chsink.New(cfg, chsink.Settings{Logger: quiet, Registerer: reg, DB: db, Reader: r, Sites: testSites()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s, reg
}

// counter is the value of the counter name in reg (0 if not yet counted).
func counter(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}

// insertsFail waits until the sink behind reg has failed at least n more
// inserts than it had when called: proof that it is working, and failing.
func insertsFail(t testing.TB, reg *prometheus.Registry, n float64) {
	t.Helper()
	const name = "bridge_chsink_insert_errors_total"
	from := counter(t, reg, name)
	testkit.Eventually(t, 20*time.Second, func() error {
		if got := counter(t, reg, name) - from; got < n {
			return fmt.Errorf("%v failed inserts, want %v", got, n)
		}
		return nil
	})
}

var base = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// ev makes a browser event with a deterministic id.
func ev(i int, siteID, name string, data any) event.Event {
	raw, _ := json.Marshal(data)
	return event.Event{
		ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), SiteID: siteID, Name: name,
		Source: event.SourceBrowser, Known: true, UID: fmt.Sprintf("u-%d", i%7), AnonID: fmt.Sprintf("a-%d", i%5),
		SessionID: fmt.Sprintf("s-%d", i%3), Seq: int64(i),
		ClientTime: base.Add(time.Duration(i) * time.Second), ReceivedAt: base.Add(time.Duration(i)*time.Second + 300*time.Millisecond),
		Data: raw,
		Context: event.Context{URL: "https://www.acme.com/p/1", Referrer: "https://google.com/", Title: "P1",
			UTM: map[string]string{"source": "fb", "medium": "cpc", "campaign": "c1", "term": "t", "content": "x"},
			FBP: "fb.1.1.1", FBC: "fb.1.1.abc", Country: "IN", IP: "203.0.113.77", UserAgent: "Mozilla/5.0"},
	}
}

func queryUint(t testing.TB, db *chdb.DB, sql string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n uint64
	if err := db.Conn().QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}
