package chsink_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// Over the real event log (embedded JetStream): events appended in rounds,
// some twice, with ClickHouse stopped for one round and the sink restarted
// in between. Every event ends up stored once (FINAL), and the reader has
// nothing pending.
func TestSinkOverEventLogWithOutage(t *testing.T) {
	srv := chtest.New(t)
	db := openDB(t, srv)
	cfg := eventlog.NewDefaultConfig()
	cfg.AckWait = 5 * time.Second
	elog, err := eventlog.New(cfg, eventlog.Settings{NATS: natstest.Embedded(t, t.TempDir()), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := elog.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { elog.Shutdown(context.Background()) })
	reader, err := elog.Reader("clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	appendRange := func(from, to int) {
		t.Helper()
		var evs []event.Event
		for i := from; i < to; i++ {
			evs = append(evs, ev(i, "acme", "popin_captured", map[string]any{"uid": "u", "mobile": "9876543210"}))
		}
		for len(evs) > 0 {
			n := min(len(evs), 40)
			if err := elog.Append(ctx, evs[:n]); err != nil {
				t.Fatal(err)
			}
			evs = evs[n:]
		}
	}
	drained := func() error {
		if n, err := reader.Pending(); err != nil || n != 0 {
			return fmt.Errorf("pending %d (%v), want 0", n, err)
		}
		return nil
	}

	counted := &countingReader{Reader: reader}
	s, reg := startSinkMetered(t, db, counted, nil)
	appendRange(0, 400)
	appendRange(300, 400) // resent: the log deduplicates
	testkit.Eventually(t, 30*time.Second, drained)

	srv.Stop()
	appendRange(400, 800)
	// Once the sink has fetched all 800 events and then failed to insert
	// twice, the reader must still hold the new ones.
	testkit.Eventually(t, 30*time.Second, func() error {
		if n := counted.events.Load(); n < 800 {
			return fmt.Errorf("sink fetched %d of 800 events", n)
		}
		return nil
	})
	insertsFail(t, reg, 2)
	if drained() == nil {
		t.Fatal("reader drained while ClickHouse was down")
	}
	sctx, scancel := context.WithTimeout(ctx, 300*time.Millisecond)
	s.Shutdown(sctx) // leaves the buffered segments un-acked
	scancel()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	startSink(t, db, reader, nil)
	appendRange(800, 1000)
	testkit.Eventually(t, 60*time.Second, drained)

	if got := queryUint(t, db, "SELECT count() FROM events FINAL"); got != 1000 {
		t.Errorf("count() FINAL = %d, want 1000", got)
	}
	if got := queryUint(t, db, "SELECT uniqExact(event_id) FROM events"); got != 1000 {
		t.Errorf("uniqExact(event_id) = %d, want 1000", got)
	}
	if got := queryUint(t, db, "SELECT countIf(data LIKE '%9876543210%') FROM events"); got != 0 {
		t.Errorf("%d rows hold a raw phone number", got)
	}
}

// countingReader counts the events its Fetch hands out.
type countingReader struct {
	eventlog.Reader
	events atomic.Int64
}

func (r *countingReader) Fetch(ctx context.Context, max int, wait time.Duration) ([]eventlog.Segment, error) {
	segs, err := r.Reader.Fetch(ctx, max, wait)
	for _, s := range segs {
		r.events.Add(int64(len(s.Events())))
	}
	return segs, err
}
