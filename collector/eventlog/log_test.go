package eventlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestAppendConcurrentReadBackOnce(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	r, err := l.Reader("sink")
	if err != nil {
		t.Fatal(err)
	}
	const writers, per, batch = 16, 50, 4
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			all := ids(fmt.Sprintf("w%02d", w), per)
			for i := 0; i < per; i += batch {
				if err := l.Append(context.Background(), events(all[i:min(i+batch, per)]...)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Append: %v", err)
	}
	want := writers * per
	seen := readAll(t, r, want, 20*time.Second)
	if len(seen) != want {
		t.Fatalf("read %d distinct ids, want %d", len(seen), want)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("id %s read %d times", id, n)
		}
	}
	assertNoMore(t, l, r)
	if p, err := r.Pending(); err != nil || p != 0 {
		t.Fatalf("Pending = %d, %v; want 0", p, err)
	}
	commits := testutilCount(t, l.m.commits.WithLabelValues("ok"))
	if commits >= float64(want/batch) {
		t.Logf("no grouping observed: %v commits for %d appends", commits, want/batch)
	}
}

func TestNakRedelivers(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	r, err := l.Reader("fwd")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(context.Background(), events("a", "b")); err != nil {
		t.Fatal(err)
	}
	segs, err := r.Fetch(context.Background(), 10, 2*time.Second)
	if err != nil || len(segs) != 1 {
		t.Fatalf("Fetch = %d segments, %v; want 1", len(segs), err)
	}
	first := segs[0]
	if first.Deliveries() != 1 || len(first.Events()) != 2 || first.Events()[0].ID != "a" {
		t.Fatalf("first delivery: deliveries %d events %+v", first.Deliveries(), first.Events())
	}
	if err := first.Nak(100 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var again []Segment
	deadline := time.Now().Add(5 * time.Second)
	for len(again) == 0 && time.Now().Before(deadline) {
		if again, err = r.Fetch(context.Background(), 10, 500*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if len(again) != 1 || again[0].Seq() != first.Seq() || again[0].Deliveries() != 2 {
		t.Fatalf("redelivery: %d segments", len(again))
	}
	if p, _ := r.Pending(); p != 1 {
		t.Fatalf("Pending before ack = %d, want 1", p)
	}
	if err := again[0].Ack(); err != nil {
		t.Fatal(err)
	}
	assertNoMore(t, l, r)
	if p, _ := r.Pending(); p != 0 {
		t.Fatalf("Pending after ack = %d, want 0", p)
	}
}

func TestFetchHonoursContext(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	r, err := l.Reader("ctx")
	if err != nil {
		t.Fatal(err)
	}
	segs, err := r.Fetch(context.Background(), 1, 100*time.Millisecond)
	if err != nil || segs != nil {
		t.Fatalf("empty Fetch = %v, %v; want nil, nil", segs, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := r.Fetch(ctx, 1, 5*time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Fetch with ending ctx = %v, want DeadlineExceeded", err)
	}
}
