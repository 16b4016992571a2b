package chsink_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/testkit"
)

// ClickHouse stops while events keep arriving: nothing is acked while it is
// down, a Shutdown with a short deadline leaves the buffer to the log, and
// once the server is back a new sink catches up with nothing lost and
// nothing doubled.
func TestSinkClickHouseOutage(t *testing.T) {
	srv := chtest.New(t)
	db := openDB(t, srv)
	log := newMemLog()
	s, reg := startSinkMetered(t, db, log, nil)

	const perSeg, segs = 20, 60
	var wg sync.WaitGroup
	produce := func(from, to int) {
		defer wg.Done()
		for sg := from; sg < to; sg++ {
			var evs []event.Event
			for j := 0; j < perSeg; j++ {
				evs = append(evs, ev(sg*perSeg+j, "acme", "nudge_show", map[string]any{"uid": "u", "email": "a@b.c"}))
			}
			log.Append(evs...)
			time.Sleep(5 * time.Millisecond)
		}
	}
	wg.Add(1)
	go produce(0, 20)
	wg.Wait()
	testkit.Eventually(t, 20*time.Second, log.ackedAll(20))

	srv.Stop()
	wg.Add(1)
	go produce(20, 40)
	wg.Wait()
	// Once the sink has fetched every segment and then failed to insert
	// twice, nothing may be acked.
	testkit.Eventually(t, 20*time.Second, log.fetchedAll)
	insertsFail(t, reg, 2)
	if a, _ := log.counts(); a != 20 {
		t.Fatalf("acked %d segments while ClickHouse was down, want 20", a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err := s.Shutdown(ctx)
	cancel()
	if err == nil {
		t.Fatal("Shutdown returned nil although ClickHouse was down and events were buffered")
	}
	if a, _ := log.counts(); a != 20 {
		t.Fatalf("acked %d segments after failed Shutdown, want 20", a)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	startSink(t, db, log, nil)
	wg.Add(1)
	go produce(40, segs)
	wg.Wait()
	testkit.Eventually(t, 60*time.Second, log.ackedAll(segs))

	want := uint64(perSeg * segs)
	if got := queryUint(t, db, "SELECT count() FROM events FINAL"); got != want {
		t.Errorf("count() FINAL = %d, want %d", got, want)
	}
	if got := queryUint(t, db, "SELECT uniqExact(event_id) FROM events"); got != want {
		t.Errorf("uniqExact(event_id) = %d, want %d", got, want)
	}
	if got := queryUint(t, db, "SELECT countIf(data LIKE '%a@b.c%') FROM events"); got != 0 {
		t.Errorf("%d rows hold a raw e-mail", got)
	}
}
