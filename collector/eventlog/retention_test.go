package eventlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

func bigEvent(id string, size int) []byte {
	return []byte(`{"blob":"` + strings.Repeat("x", size) + `"}`)
}

func TestFullThenPurgeRecovers(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MaxBytes = 1 << 20
	cfg.MaxCommitBytes = 64 << 10
	cfg.SiteMaxShare = 1 // one site may fill the log: this test is about the whole log
	l := openLog(t, cfg)
	r, err := l.Reader("sink")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	appended := 0
	var fullErr error
	for i := range 200 {
		e := testEvent(ids("full", 200)[i])
		e.Data = json.RawMessage(bigEvent(e.ID, 20<<10))
		if err := l.Append(ctx, append(events(), e)); err != nil {
			fullErr = err
			break
		}
		appended++
	}
	if !errors.Is(fullErr, ErrFull) {
		t.Fatalf("after %d appends got %v, want ErrFull", appended, fullErr)
	}
	if errors.Is(fullErr, ErrUnavailable) {
		t.Fatalf("full error also claims unavailable: %v", fullErr)
	}
	if n := testutilCount(t, l.m.fullRejections); n < 1 {
		t.Fatalf("full rejections metric = %v (%v)", n, fullErr)
	}
	huge := testEvent("huge")
	huge.Data = json.RawMessage(bigEvent(huge.ID, 70<<10))
	if err := l.Append(ctx, append(events(), huge)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("append of an event over max_commit_bytes = %v, want ErrTooLarge", err)
	}
	// Retry of the refused id is refused again (not silently "deduplicated").
	e := testEvent("after-full")
	e.Data = json.RawMessage(bigEvent(e.ID, 20<<10))
	if err := l.Append(ctx, append(events(), e)); !errors.Is(err, ErrFull) {
		t.Fatalf("append while full = %v, want ErrFull", err)
	}

	// Before anything is acked: the purge kicked by the refusal cannot free
	// a byte yet.
	if err := l.Ready(ctx); !errors.Is(err, ErrFull) {
		t.Fatalf("Ready while full = %v, want ErrFull", err)
	}
	seen := readAll(t, r, appended, 10*time.Second)
	if len(seen) != appended {
		t.Fatalf("read %d, want %d", len(seen), appended)
	}
	// Acked by every reader: purged at once, inside the dedup window, as soon
	// as their dedup keys are persisted (asynchronously, just after commit).
	// The purge kicked by the refusals may take some of them first.
	testkit.Eventually(t, 10*time.Second, func() error {
		if _, err := l.purge(ctx); err != nil {
			t.Fatalf("purge: %v", err)
		}
		info, err := l.stream.Info(ctx)
		if err != nil {
			return err
		}
		if info.State.Msgs != 0 {
			return fmt.Errorf("%d of %d acked segments left", info.State.Msgs, appended)
		}
		return nil
	})
	if err := l.Ready(ctx); err != nil {
		t.Fatalf("Ready after purge = %v", err)
	}
	if err := l.Append(ctx, append(events(), e)); err != nil {
		t.Fatalf("append after purge: %v", err)
	}
}

func TestPurgeRespectsEveryReader(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	ctx := context.Background()
	fast, _ := l.Reader("fast")
	slow, _ := l.Reader("slow")
	for _, id := range []string{"p1", "p2", "p3"} {
		if err := l.Append(ctx, events(id)); err != nil {
			t.Fatal(err)
		}
	}
	readAll(t, fast, 3, 5*time.Second)
	l.skew.Store(int64(2 * time.Hour))
	if n, err := l.purge(ctx); err != nil || n != 0 {
		t.Fatalf("purge with an unread reader = %d, %v; want 0", n, err)
	}
	segs, err := slow.Fetch(ctx, 1, time.Second)
	if err != nil || len(segs) != 1 {
		t.Fatalf("slow Fetch = %d, %v", len(segs), err)
	}
	if err := segs[0].Ack(); err != nil {
		t.Fatal(err)
	}
	if n, err := l.purge(ctx); err != nil || n != 1 {
		t.Fatalf("purge after slow acked one = %d, %v; want 1", n, err)
	}
	if p, _ := slow.Pending(); p != 2 {
		t.Fatalf("slow pending = %d, want 2", p)
	}
	// A retired reader no longer holds the log back.
	if err := l.DeleteReader(ctx, "slow"); err != nil {
		t.Fatal(err)
	}
	if n, err := l.purge(ctx); err != nil || n != 2 {
		t.Fatalf("purge after deleting slow = %d, %v; want 2", n, err)
	}
}
