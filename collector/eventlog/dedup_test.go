package eventlog

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

func TestDedupSequentialAndConcurrent(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	r, err := l.Reader("sink")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	seq := ids("seq", 20)
	if err := l.Append(ctx, events(seq...)); err != nil {
		t.Fatal(err)
	}
	// Again, and once more with a duplicate inside one call.
	if err := l.Append(ctx, events(seq...)); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(ctx, events("dup-in-call", "dup-in-call")); err != nil {
		t.Fatal(err)
	}
	// Many goroutines append the same ids at once: the first copy is in flight
	// while the others arrive.
	conc := ids("conc", 50)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < len(conc); i += 5 {
				if err := l.Append(ctx, events(conc[i:i+5]...)); err != nil {
					t.Errorf("Append: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	want := len(seq) + 1 + len(conc)
	seen := readAll(t, r, want, 20*time.Second)
	if len(seen) != want {
		t.Fatalf("read %d distinct ids, want %d", len(seen), want)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("id %s stored %d times", id, n)
		}
	}
	assertNoMore(t, l, r)
	if d := testutilCount(t, l.m.duplicates); d < float64(len(seq)+1+7*len(conc)) {
		t.Fatalf("duplicates metric = %v, want >= %d", d, len(seq)+1+7*len(conc))
	}
}

func TestDedupSameIDOtherSiteIsStored(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	r, _ := l.Reader("sink")
	a, b := testEvent("same"), testEvent("same")
	b.SiteID = "other"
	if err := l.Append(context.Background(), events("same")); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(context.Background(), append(events(), a, b)); err != nil {
		t.Fatal(err)
	}
	segs := 0
	n := 0
	deadline := time.Now().Add(5 * time.Second)
	for n < 2 && time.Now().Before(deadline) {
		got, err := r.Fetch(context.Background(), 10, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range got {
			segs++
			n += len(s.Events())
			_ = s.Ack()
		}
	}
	if n != 2 {
		t.Fatalf("stored %d events, want 2 (one per site)", n)
	}
	assertNoMore(t, l, r)
}

func TestDedupSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	first := ids("restart", 100)

	l1 := newLog(t, cfg, Settings{Logger: testLogger()})
	ctx := context.Background()
	if err := l1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l1.Append(ctx, events(first...)); err != nil {
		t.Fatal(err)
	}
	shutdown(t, l1)

	l2 := openLog(t, cfg)
	if got := l2.c.Load().index.Len(); got != len(first) {
		t.Fatalf("rebuilt dedup index holds %d keys, want %d", got, len(first))
	}
	if err := l2.Append(ctx, events(first...)); err != nil {
		t.Fatal(err)
	}
	if err := l2.Append(ctx, events("new-after-restart")); err != nil {
		t.Fatal(err)
	}
	r, _ := l2.Reader("sink")
	seen := readAll(t, r, len(first)+1, 10*time.Second)
	assertNoMore(t, l2, r)
	if len(seen) != len(first)+1 {
		t.Fatalf("read %d distinct ids, want %d", len(seen), len(first)+1)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("id %s stored %d times after restart", id, n)
		}
	}
}

// TestDedupSurvivesPurgeAndRestart: events acked by the reader are purged
// inside the dedup window; after a restart the same ids are still
// recognised (from the persisted keys) and not stored again.
func TestDedupSurvivesPurgeAndRestart(t *testing.T) {
	cfg := testConfig(t.TempDir())
	first := ids("purged", 50)
	ctx := context.Background()

	l1 := openLog(t, cfg)
	r1, _ := l1.Reader("sink")
	for i := 0; i < len(first); i += 10 {
		if err := l1.Append(ctx, events(first[i:i+10]...)); err != nil {
			t.Fatal(err)
		}
	}
	if seen := readAll(t, r1, len(first), 10*time.Second); len(seen) != len(first) {
		t.Fatalf("read %d distinct ids, want %d", len(seen), len(first))
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if _, err := l1.purge(ctx); err != nil {
			t.Fatalf("purge: %v", err)
		}
		info, err := l1.stream.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs != 0 {
			return fmt.Errorf("%d acked segments not purged", info.State.Msgs)
		}
		return nil
	})
	shutdown(t, l1)

	l2 := openLog(t, cfg)
	if got := l2.c.Load().index.Len(); got != len(first) {
		t.Fatalf("rebuilt dedup index holds %d keys, want %d", got, len(first))
	}
	if err := l2.Append(ctx, events(first...)); err != nil {
		t.Fatal(err)
	}
	r2, _ := l2.Reader("sink")
	assertNoMore(t, l2, r2) // the marker is the only segment: nothing resent was stored
	if d := testutilCount(t, l2.m.duplicates); d != float64(len(first)) {
		t.Fatalf("duplicates metric = %v, want %d", d, len(first))
	}
}

// TestDedupKeysLostBeforeCrash: the keys of committed segments never reached
// the key stream (a crash right after the commit). The next Start rebuilds
// them from the segments and persists them, so that those segments may be
// purged and their ids are still recognised after a further restart.
func TestDedupKeysLostBeforeCrash(t *testing.T) {
	cfg := testConfig(t.TempDir())
	first := ids("lost", 20)
	ctx := context.Background()

	l1 := openLog(t, cfg)
	if err := l1.Append(ctx, events(first...)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := testutilCount(t, l1.m.dedupPersisted); n != float64(len(first)) {
			return fmt.Errorf("%v keys persisted", n)
		}
		return nil
	})
	shutdown(t, l1)
	l1 = openLog(t, cfg)
	if err := l1.keys.stream.Purge(ctx); err != nil { // as if never written
		t.Fatal(err)
	}
	shutdown(t, l1)

	l2 := openLog(t, cfg)
	if got := l2.c.Load().index.Len(); got != len(first) {
		t.Fatalf("rebuilt dedup index holds %d keys, want %d", got, len(first))
	}
	if n := testutilCount(t, l2.m.dedupPersisted); n != float64(len(first)) {
		t.Fatalf("keys persisted at start = %v, want %d", n, len(first))
	}
	r2, _ := l2.Reader("sink")
	readAll(t, r2, len(first), 10*time.Second)
	if n, err := l2.purge(ctx); err != nil || n != 1 {
		t.Fatalf("purge = %d, %v; want the one acked segment", n, err)
	}
	shutdown(t, l2)

	l3 := openLog(t, cfg)
	if err := l3.Append(ctx, events(first...)); err != nil {
		t.Fatal(err)
	}
	r3, _ := l3.Reader("sink")
	assertNoMore(t, l3, r3)
}
