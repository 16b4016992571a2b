package eventlog

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

// TestFetchReturnsWhatACancelledFetchWasSent: a Fetch cancelled while its
// pull request waits on the server leaves the request open; a segment the
// server sends to it afterwards is returned by the next Fetch (not left to
// AckWait, a minute here, which would make the second Fetch come back empty).
func TestFetchReturnsWhatACancelledFetchWasSent(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	r, err := l.Reader("late")
	if err != nil {
		t.Fatal(err)
	}
	cons, err := r.(*reader).consumer()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := r.Fetch(ctx, 8, 20*time.Second)
		done <- err
	}()
	testkit.Eventually(t, 5*time.Second, func() error {
		info, err := cons.Info(context.Background())
		if err == nil && info.NumWaiting != 1 {
			err = fmt.Errorf("%d pull requests waiting, want 1", info.NumWaiting)
		}
		return err
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Fetch = %v, want context.Canceled", err)
	}
	if err := l.Append(context.Background(), events("late-1")); err != nil {
		t.Fatal(err)
	}
	// The segment may reach the client through the cancelled request just
	// after a new Fetch found nothing pending (it then answers empty): it
	// must come with a later Fetch, once.
	var segs []Segment
	testkit.Eventually(t, 10*time.Second, func() error {
		got, err := r.Fetch(context.Background(), 8, time.Second)
		segs = append(segs, got...)
		if err != nil || len(segs) == 0 {
			return fmt.Errorf("Fetch after the cancelled one = %d segments, %v; want late-1", len(segs), err)
		}
		return nil
	})
	if len(segs) != 1 || segs[0].Events()[0].ID != "late-1" {
		t.Fatalf("got %d segments, want late-1 once", len(segs))
	}
	if err := segs[0].Ack(); err != nil {
		t.Fatal(err)
	}
	assertNoMore(t, l, r)
}
