package forwarder

import (
	"time"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/internal/retry"
)

// An endpoint that answers 429 or 503 with Retry-After asks for the whole
// endpoint to wait, not one delivery: its runner takes nothing from its
// queue and its fast path takes no first attempt until then (bounded by
// forwarder.max_retry_after). Attempts already under way finish. The
// pause shows in bridge_forwarder_endpoint_paused{endpoint} (1 while
// paused).

// pauseFor notes a throttling answer: the endpoint pauses for its
// Retry-After when res is a retryable failure that carries one.
func (r *runner) pauseFor(res exporter.Result) {
	if res.RetryAfter <= 0 || res.Err == nil || retry.IsPermanent(res.Err) {
		return
	}
	until := time.Now().Add(min(res.RetryAfter, r.f.p.maxRetryAfter)).UnixNano()
	for {
		cur := r.pausedUntil.Load()
		if cur >= until || r.pausedUntil.CompareAndSwap(cur, until) {
			break
		}
	}
	r.f.m.paused.WithLabelValues(r.id).Set(1)
}

// paused reports whether the endpoint is paused at now.
func (r *runner) paused(now time.Time) bool { return now.UnixNano() < r.pausedUntil.Load() }

// waitPause holds the runner's loop until the pause ends (or the runner
// stops); it reports whether there was one.
func (r *runner) waitPause() bool {
	until := r.pausedUntil.Load()
	d := time.Until(time.Unix(0, until))
	if d <= 0 {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.ctx.Done():
	case <-t.C:
		if !r.paused(time.Now()) {
			r.f.m.paused.WithLabelValues(r.id).Set(0)
		}
	}
	return true
}
