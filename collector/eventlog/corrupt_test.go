package eventlog

import (
	"context"
	"testing"
	"time"
)

// TestCorruptSegmentIsSkipped: a segment in the log that fails its own
// checksum (here: bytes that are no segment at all, as a damaged record the
// store did not catch would read) does not stop a reader: the segments
// before and after it are read, it is counted in
// bridge_eventlog_corrupt_segments_total (once per reader), and it is not
// redelivered.
func TestCorruptSegmentIsSkipped(t *testing.T) {
	cfg := testConfig(t.TempDir())
	ctx := context.Background()
	l := openLog(t, cfg)
	r, err := l.Reader("sink")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(ctx, events("before")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.js.Publish(ctx, cfg.Subject, []byte("\x01not a segment: its checksum fails")); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(ctx, events("after")); err != nil {
		t.Fatal(err)
	}
	seen := readAll(t, r, 2, 10*time.Second)
	if len(seen) != 2 || seen["before"] != 1 || seen["after"] != 1 {
		t.Fatalf("read %v, want before and after once each", seen)
	}
	if n := testutilCount(t, l.m.corrupt); n != 1 {
		t.Fatalf("corrupt segments counted %v, want 1", n)
	}
	assertNoMore(t, l, r)
}
