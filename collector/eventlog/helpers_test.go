package eventlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/testkit"
)

func testLogger() *slog.Logger {
	if os.Getenv("EVENTLOG_TEST_VERBOSE") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// testSetup is a Log's config plus where its NATS runs: an embedded server
// storing under dir, or the external servers at url.
type testSetup struct {
	Config
	dir, url string
}

func testConfig(dir string) testSetup {
	return testSetup{Config: NewDefaultConfig(), dir: dir}
}

// startNATS starts the NATS part s names; it is shut down at test end.
func startNATS(t testing.TB, s testSetup) *natsrv.Server {
	t.Helper()
	if s.url == "" {
		return natstest.Embedded(t, s.dir)
	}
	n, err := natsrv.New(natsrv.Config{URL: s.url}, natsrv.Settings{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Shutdown(context.Background()) })
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n
}

// newLog builds a Log (not started) over a freshly started NATS part, as the
// bridge does; shutdown stops both.
func newLog(t testing.TB, s testSetup, set Settings) *Log {
	t.Helper()
	set.NATS = startNATS(t, s)
	l, err := New(s.Config, set)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return l
}

// openLog creates and starts a Log; it is shut down at test end.
func openLog(t testing.TB, s testSetup) *Log {
	t.Helper()
	l := newLog(t, s, Settings{Logger: testLogger(), Registerer: prometheus.NewRegistry()})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { shutdown(t, l) })
	return l
}

// shutdown stops l, then its NATS part (so that its dir can be reopened).
func shutdown(t testing.TB, l *Log) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := l.nats.(*natsrv.Server).Shutdown(ctx); err != nil {
		t.Errorf("NATS Shutdown: %v", err)
	}
}

func testEvent(id string) event.Event {
	return event.Event{
		ID: id, SiteID: "acme", Name: "popin_captured", Source: event.SourceBrowser, Known: true,
		SessionID: "s1", AnonID: "a1", Seq: 1,
		ClientTime: time.UnixMilli(1763920000123).UTC(), ReceivedAt: time.Now().UTC().Truncate(time.Millisecond),
		Data:    json.RawMessage(`{"name":"Asha","email":"asha@example.com","mobile":"9876543210"}`),
		Context: event.Context{URL: "https://www.acme.com/p/1", IP: "203.0.113.7", UserAgent: "test"},
	}
}

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%06d", prefix, i)
	}
	return out
}

func events(ids ...string) []event.Event {
	out := make([]event.Event, len(ids))
	for i, id := range ids {
		out[i] = testEvent(id)
	}
	return out
}

// readAll fetches and acks until want events arrived or the deadline passes,
// returning how many times each id was seen.
func readAll(t testing.TB, r Reader, want int, deadline time.Duration) map[string]int {
	t.Helper()
	seen := make(map[string]int)
	total := 0
	end := time.Now().Add(deadline)
	for total < want && time.Now().Before(end) {
		segs, err := r.Fetch(context.Background(), 64, 200*time.Millisecond)
		if errors.Is(err, ErrUnavailable) {
			// As the sink and the forwarder do: a log that is failing
			// over (a consumer leader being elected) is read again.
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		for _, s := range segs {
			for _, e := range s.Events() {
				seen[e.ID]++
				total++
			}
			if err := s.Ack(); err != nil {
				t.Fatalf("Ack: %v", err)
			}
		}
	}
	return seen
}

var markerSeq atomic.Int64

// assertNoMore proves r holds nothing beyond what was read: it appends a
// marker event to l, reads until the marker arrives (any other segment
// first fails the test), acks it, and then wants r.Pending() at 0, which
// also counts segments delivered earlier and still awaiting an ack.
func assertNoMore(t testing.TB, l *Log, r Reader) {
	t.Helper()
	marker := fmt.Sprintf("marker-%d", markerSeq.Add(1))
	if err := l.Append(context.Background(), events(marker)); err != nil {
		t.Fatalf("append marker: %v", err)
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		segs, err := r.Fetch(context.Background(), 64, 200*time.Millisecond)
		if errors.Is(err, ErrUnavailable) {
			return err // failing over: read again
		}
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		for _, s := range segs {
			if evs := s.Events(); len(evs) != 1 || evs[0].ID != marker {
				t.Fatalf("unexpected extra segment %d (%d events) before %s", s.Seq(), len(evs), marker)
			}
			if err := s.Ack(); err != nil {
				t.Fatalf("Ack: %v", err)
			}
			return nil
		}
		return fmt.Errorf("%s not read", marker)
	})
	testkit.Eventually(t, 5*time.Second, func() error {
		if p, err := r.Pending(); err != nil || p != 0 {
			return fmt.Errorf("Pending = %d (%v), want 0", p, err)
		}
		return nil
	})
}
