package eventlog

import (
	"context"
	"testing"
	"time"
)

// A new serial reader starts at new segments, or at the segments stored
// from a given time; an existing one keeps its position whatever from says.
func TestSerialReaderStart(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	ctx := context.Background()
	before := time.Now().Add(-time.Minute)
	if err := l.Append(ctx, events("old-1", "old-2")); err != nil {
		t.Fatal(err)
	}
	fresh, err := l.SerialReader("fresh", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	back, err := l.SerialReader("back", before)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(ctx, events("new-1")); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, back, 3, 20*time.Second); got["old-1"] != 1 || got["old-2"] != 1 || got["new-1"] != 1 {
		t.Errorf("reader from a minute ago read %v, want old-1, old-2, new-1", got)
	}
	if got := readAll(t, fresh, 1, 20*time.Second); got["new-1"] != 1 || len(got) != 1 {
		t.Errorf("new reader read %v, want new-1 only", got)
	}
	// Registered again (as after a restart): it keeps its position.
	l.mu.Lock()
	if p, _ := l.readers["back"].puller(); p != nil {
		p.close()
	}
	delete(l.readers, "back")
	l.mu.Unlock()
	again, err := l.SerialReader("back", before)
	if err != nil {
		t.Fatal(err)
	}
	assertNoMore(t, l, again)
	if got := readAll(t, fresh, 1, 20*time.Second); len(got) != 1 {
		t.Errorf("new reader then read %v, want the marker only", got)
	}
	assertNoMore(t, l, fresh)
}
