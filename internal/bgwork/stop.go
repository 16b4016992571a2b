// Package bgwork holds what the parts that run one background goroutine
// (a watch, a writer, a loop) share in their Shutdown.
package bgwork

import (
	"context"
	"fmt"
)

// Stop ends a background goroutine started with a context whose cancel is
// cancel and that closes done when it returns: it cancels and waits for
// done until ctx ends, then answers what: ctx's error. cancel nil (never
// started, or stopped already) answers nil at once, so a Shutdown that
// takes cancel and done out of its struct under its lock and passes them
// here is safe without Start and twice.
func Stop(ctx context.Context, what string, cancel context.CancelFunc, done <-chan struct{}) error {
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
}
