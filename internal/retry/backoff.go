package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is a bounded exponential backoff with jitter for retry loops: the
// first wait is about Min, each next one about twice the last, never more
// than Max. Each wait is drawn uniformly from [w/2, w] of its nominal w, so
// parts that failed together do not all retry together. Min ≤ 0 counts as
// 1ms and Max < Min as Min. A Backoff is not safe for concurrent use; the
// zero state (and Reset) starts from Min.
type Backoff struct {
	Min, Max time.Duration

	cur  time.Duration  // nominal next wait; 0: Min
	rand func() float64 // in [0, 1); nil: math/rand/v2
}

// Next returns the wait before the next attempt and doubles the one after.
func (b *Backoff) Next() time.Duration {
	lo := b.Min
	if lo <= 0 {
		lo = time.Millisecond
	}
	hi := max(b.Max, lo)
	w := min(max(b.cur, lo), hi)
	if w > hi/2 {
		b.cur = hi
	} else {
		b.cur = 2 * w
	}
	r := rand.Float64
	if b.rand != nil {
		r = b.rand
	}
	half := w / 2
	return w - half + time.Duration(r()*float64(half+1))
}

// Reset starts the next wait from Min again (after a success).
func (b *Backoff) Reset() { b.cur = 0 }

// Sleep waits d, or less if ctx ends first. It reports whether the full
// wait passed with ctx still live; a retry loop stops on false.
func Sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
