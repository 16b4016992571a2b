package bgwork

import (
	"context"
	"errors"
	"testing"
)

func TestStop(t *testing.T) {
	if err := Stop(context.Background(), "x", nil, nil); err != nil {
		t.Fatalf("never started: %v", err)
	}

	// A goroutine that returns when cancelled: Stop waits for it.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	returned := false
	go func() { <-ctx.Done(); returned = true; close(done) }()
	if err := Stop(context.Background(), "x", cancel, done); err != nil || !returned {
		t.Fatalf("Stop = %v, goroutine returned %v", err, returned)
	}

	// One that does not return in time: ctx's error, named.
	_, cancel2 := context.WithCancel(context.Background())
	expired, stop := context.WithCancel(context.Background())
	stop()
	err := Stop(expired, "worker shutdown", cancel2, make(chan struct{}))
	if !errors.Is(err, context.Canceled) || err.Error() != "worker shutdown: context canceled" {
		t.Fatalf("Stop past ctx = %v", err)
	}
}
