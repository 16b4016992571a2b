package eventlog

import (
	"context"
	"testing"
	"time"
)

// TestReaderRewindsAfterUncleanStop: a segment fetched but never acked by a
// previous run is handed out again at once after a restart, not after
// AckWait (embedded server only).
func TestReaderRewindsAfterUncleanStop(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.AckWait = time.Hour
	ctx := context.Background()

	l := openLog(t, cfg)
	r, err := l.Reader("sink")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(ctx, events(ids("a", 3)...)); err != nil {
		t.Fatal(err)
	}
	segs, err := r.Fetch(ctx, 10, 5*time.Second)
	if err != nil || len(segs) == 0 {
		t.Fatalf("fetch: %v, %d segments", err, len(segs))
	}
	shutdown(t, l) // the fetched segments stay un-acked, as after a crash

	l2 := openLog(t, cfg)
	r2, err := l2.Reader("sink")
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, r2, 3, 10*time.Second)
	for _, id := range ids("a", 3) {
		if got[id] != 1 {
			t.Fatalf("after restart event %s read %d times, want 1 (got %v)", id, got[id], got)
		}
	}
	shutdown(t, l2)

	// A third start with nothing pending keeps the cursor where it is.
	l3 := openLog(t, cfg)
	r3, err := l3.Reader("sink")
	if err != nil {
		t.Fatal(err)
	}
	assertNoMore(t, l3, r3)
}
