package forwarder

import (
	"sync/atomic"
	"time"
)

// rateBuckets is how many buckets an attemptCount splits its window into.
const rateBuckets = 8

// attemptCount counts the attempts of an endpoint within the last window
// (the fast-path budget), in rateBuckets buckets of window/rateBuckets:
// lock-free, one atomic update per attempt. Each bucket holds the low 32
// bits of its epoch (time / bucket width) and its count.
type attemptCount struct {
	width int64 // ns per bucket, > 0
	b     [rateBuckets]atomic.Uint64
}

func newAttemptCount(window time.Duration) *attemptCount {
	return &attemptCount{width: max(int64(window)/rateBuckets, 1)}
}

// add counts one attempt at now (monoNow).
func (c *attemptCount) add(now int64) {
	e := uint64(now/c.width) & 0xffffffff
	b := &c.b[e%rateBuckets]
	for {
		old := b.Load()
		next := e<<32 | 1
		if old>>32 == e {
			next = old + 1
		}
		if b.CompareAndSwap(old, next) {
			return
		}
	}
}

// last returns the attempts counted within the window before now (the
// current bucket and the rateBuckets-1 before it).
func (c *attemptCount) last(now int64) int64 {
	e := uint32(now / c.width)
	var n int64
	for i := range c.b {
		v := c.b[i].Load()
		if e-uint32(v>>32) < rateBuckets {
			n += int64(v & 0xffffffff)
		}
	}
	return n
}
