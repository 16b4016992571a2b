package eventlog

import (
	"context"
	"time"
)

// keyWriteDelay is how long the key writer lets keys gather after the first
// of a record before it writes them. Keys are read only by purge (every
// purge_interval, or after a refusal) and by the rebuild at Start, which
// also reads the segments whose keys are missing: a short delay changes
// nothing there, and it turns one fsynced write per commit at low traffic
// into one per keyWriteDelay.
const keyWriteDelay = 250 * time.Millisecond

// linger waits keyWriteDelay, or less when half the queue is already taken
// or ctx ends. The queue holds what arrives meanwhile: nobody is woken per
// commit.
func (ks *keyStore) linger(ctx context.Context) {
	if len(ks.queue) >= cap(ks.queue)/2 {
		return
	}
	t := time.NewTimer(keyWriteDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
