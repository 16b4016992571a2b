package lease

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/internal/natsrv"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openKV(t *testing.T) jetstream.KeyValue {
	t.Helper()
	s, err := natsrv.New(natsrv.Config{Dir: t.TempDir()}, natsrv.Settings{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	kv, err := OpenBucket(ctx, s.JetStream(), "LEASES", 1, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// clock is a settable time for one holder.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func mustLease(t *testing.T, kv jetstream.KeyValue, holder string, c *clock) *Lease {
	t.Helper()
	l, err := New(kv, "retention", holder, time.Minute, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func acquire(t *testing.T, l *Lease, want bool, step string) {
	t.Helper()
	got, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatalf("%s: Acquire(%s): %v", step, l.holder, err)
	}
	if got != want {
		t.Fatalf("%s: Acquire(%s) = %v, want %v", step, l.holder, got, want)
	}
}

func TestLeaseTurns(t *testing.T) {
	kv := openKV(t)
	start := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	ca, cb := &clock{t: start}, &clock{t: start}
	a, b := mustLease(t, kv, "node-a", ca), mustLease(t, kv, "node-b", cb)

	acquire(t, a, true, "free lease")
	acquire(t, b, false, "held by a")
	ca.add(50 * time.Second)
	acquire(t, a, true, "a renews")
	cb.add(100 * time.Second) // past a's first term, within its renewal
	acquire(t, b, false, "a's renewal still runs")

	if err := a.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	acquire(t, b, true, "released by a")
	acquire(t, a, false, "now held by b")

	cb.add(time.Hour) // b stops renewing; its term ends by a's clock too
	ca.add(time.Hour)
	acquire(t, a, true, "b's term ended")
	acquire(t, b, false, "b's renewal lost to a")
	if err := b.Release(context.Background()); err != nil {
		t.Fatalf("release when not held: %v", err)
	}
	acquire(t, a, true, "a still holds it after b's no-op release")
}

func TestLeaseOneWinner(t *testing.T) {
	kv := openKV(t)
	c := &clock{t: time.Now()}
	const holders = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins []string
	)
	for i := range holders {
		l := mustLease(t, kv, string(rune('a'+i)), c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := l.Acquire(context.Background())
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins = append(wins, l.holder)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("holders that took the lease at once: %v, want exactly one", wins)
	}
}

func TestLeaseOverwritesGarbage(t *testing.T) {
	kv := openKV(t)
	if _, err := kv.PutString(context.Background(), "retention", "not a lease"); err != nil {
		t.Fatal(err)
	}
	acquire(t, mustLease(t, kv, "node-a", &clock{t: time.Now()}), true, "garbage value")
}

func TestNewRefuses(t *testing.T) {
	kv := openKV(t)
	for _, tc := range []struct {
		name, lease, holder string
		ttl                 time.Duration
	}{
		{"empty name", "", "a", time.Minute},
		{"dotted name", "a.b", "a", time.Minute},
		{"holder with a space", "x", "a b", time.Minute},
		{"no ttl", "x", "a", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(kv, tc.lease, tc.holder, tc.ttl, nil); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
	if _, err := New(nil, "x", "a", time.Minute, nil); err == nil {
		t.Fatal("New accepted no bucket")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("node-a 2026-12-06T12:00:00Z"))
	f.Add([]byte(" 2026"))
	f.Add([]byte("x"))
	f.Fuzz(func(t *testing.T, v []byte) {
		h, until, ok := parse(v)
		if !ok {
			return
		}
		h2, until2, ok2 := parse([]byte(h + " " + until.Format(time.RFC3339Nano)))
		if !ok2 || h2 != h || !until2.Equal(until) {
			t.Fatalf("parse(%q) = %q, %v; written back it reads %q, %v, %v", v, h, until, h2, until2, ok2)
		}
	})
}
