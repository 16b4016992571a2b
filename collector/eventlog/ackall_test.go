package eventlog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

// TestAckAll: segments acked together are all acked once AckAll returns
// (Pending 0 at once: the last ack's confirmation comes after the others
// were processed), and none is read again; an empty batch is no error.
func TestAckAll(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	r, err := l.Reader("ackall")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AckAll(nil); err != nil {
		t.Fatalf("AckAll(nil) = %v", err)
	}
	const n = 20
	for i := range n {
		if err := l.Append(context.Background(), events(fmt.Sprintf("a-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	var segs []Segment
	testkit.Eventually(t, 10*time.Second, func() error {
		got, err := r.Fetch(context.Background(), 64, 200*time.Millisecond)
		segs = append(segs, got...)
		if err != nil || len(segs) < n {
			return fmt.Errorf("fetched %d of %d segments (%v)", len(segs), n, err)
		}
		return nil
	})
	if _, err := AckAll(segs); err != nil {
		t.Fatal(err)
	}
	if p, err := r.Pending(); err != nil || p != 0 {
		t.Fatalf("Pending right after AckAll = %d (%v), want 0", p, err)
	}
	// Acking again is harmless.
	if _, err := AckAll(segs[:2]); err != nil {
		t.Fatalf("AckAll again = %v", err)
	}
	assertNoMore(t, l, r)
}
