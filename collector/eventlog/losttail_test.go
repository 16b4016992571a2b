package eventlog

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

// TestLostTailForgetsItsKeys: the event stream's newest block is cut in the
// middle of its last record while the server is down (a torn write). At the
// next Start the store drops that segment; the log counts it, forgets its
// keys (a client's resend is stored again, not skipped as a duplicate of
// what is gone) and keeps the keys of everything before it. A later restart
// does not count it again, and the resent copy is then deduplicated.
func TestLostTailForgetsItsKeys(t *testing.T) {
	cfg := testConfig(t.TempDir())
	ctx := context.Background()
	kept, torn := ids("kept", 5), "torn-000000"

	l1 := openLog(t, cfg)
	if err := l1.Append(ctx, events(kept...)); err != nil {
		t.Fatal(err)
	}
	if err := l1.Append(ctx, events(torn)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := testutilCount(t, l1.m.dedupPersisted); n != float64(len(kept)+1) {
			return fmt.Errorf("%v keys persisted", n)
		}
		return nil
	})
	shutdown(t, l1)
	cutLastRecord(t, filepath.Join(cfg.dir, "jetstream", "$G", "streams", cfg.StreamName, "msgs"))

	l2 := openLog(t, cfg)
	if n := testutilCount(t, l2.m.lostTail); n != 1 {
		t.Fatalf("lost tail segments counted %v, want 1", n)
	}
	if err := l2.Append(ctx, events(append(kept, torn)...)); err != nil {
		t.Fatal(err)
	}
	r2, _ := l2.Reader("sink")
	seen := readAll(t, r2, len(kept)+1, 10*time.Second)
	assertNoMore(t, l2, r2)
	for _, id := range append(kept, torn) {
		if seen[id] != 1 {
			t.Errorf("%s read %d times after the torn tail, want once (the kept ones from before, the torn one resent)", id, seen[id])
		}
	}
	testkit.Eventually(t, 5*time.Second, func() error { // the resent key and the marker's
		if n := testutilCount(t, l2.m.dedupPersisted); n < 2 {
			return fmt.Errorf("%v keys persisted", n)
		}
		return nil
	})
	shutdown(t, l2)

	l3 := openLog(t, cfg)
	if n := testutilCount(t, l3.m.lostTail); n != 0 {
		t.Fatalf("lost tail counted again after a clean restart: %v", n)
	}
	if err := l3.Append(ctx, events(torn)); err != nil {
		t.Fatal(err)
	}
	r3, _ := l3.Reader("sink")
	assertNoMore(t, l3, r3)
}

// cutLastRecord truncates the newest message block in dir in the middle of
// its last record. A nats-server file store record starts with its length
// (the top bit flags headers) and ends with an 8-byte hash.
func cutLastRecord(t *testing.T, dir string) {
	t.Helper()
	blks, err := filepath.Glob(filepath.Join(dir, "*.blk"))
	if err != nil || len(blks) != 1 {
		t.Fatalf("want one message block in %s: %v %v", dir, blks, err)
	}
	buf, err := os.ReadFile(blks[0])
	if err != nil {
		t.Fatal(err)
	}
	off, n := 0, 0
	for i := 0; i+4 <= len(buf) && n >= 0; i += n {
		off, n = i, int(binary.LittleEndian.Uint32(buf[i:])&^(1<<31))
		if n < 30 || i+n > len(buf) {
			t.Fatalf("%s: bad record at %d", blks[0], i)
		}
	}
	if err := os.Truncate(blks[0], int64(off+n/2)); err != nil {
		t.Fatal(err)
	}
}
