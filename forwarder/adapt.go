package forwarder

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/popinbridge/bridge/forwarder/exporter"
)

// Adaptive concurrency: an endpoint that answers 429 is sent fewer
// requests at once. Each 429 halves the endpoint's effective concurrency
// (floor 1) — once per round: a 429 of an attempt that started before the
// previous cut was answered by that cut and does not cut again, so a burst
// of 429s to attempts made together counts once, as TCP does per window.
// After recoverRun successes in a row it grows back by one, up to the
// configured concurrency. It shows in bridge_forwarder_endpoint_concurrency
// and in the endpoint's health (Flow).
//
// The runner's slot pool keeps the configured size; the throttle goroutine
// holds the slots above the effective value (taking each as an attempt
// frees it), so the pool's users are unchanged and an endpoint that never
// answers 429 pays one atomic load per attempt.

// recoverRun is how many successes in a row raise the concurrency by one.
const recoverRun = 10

// aimd is an endpoint's effective concurrency.
type aimd struct {
	lowered atomic.Bool // limit is below the configured value
	mu      sync.Mutex
	limit   int       // effective concurrency while lowered
	run     int       // successes since the last change or 429
	cutAt   time.Time // when it was last halved
	kick    chan struct{}
}

// adapt folds an attempt started at `at` into the effective concurrency.
func (r *runner) adapt(res exporter.Result, at time.Time) {
	throttled := res.StatusCode == http.StatusTooManyRequests
	a := &r.aimd
	if !throttled && !a.lowered.Load() {
		return
	}
	conf := cap(r.slotPool(nil))
	a.mu.Lock()
	cur := conf
	if a.lowered.Load() {
		cur = min(a.limit, conf)
	}
	next := cur
	switch {
	case throttled:
		a.run = 0
		if !at.Before(a.cutAt) {
			next, a.cutAt = max(1, cur/2), time.Now()
		}
	case res.Err == nil:
		if a.run++; a.run >= recoverRun {
			a.run, next = 0, cur+1
		}
	}
	changed := next != cur
	if changed {
		a.limit = next
		a.lowered.Store(next < conf)
	}
	a.mu.Unlock()
	if changed {
		r.f.m.concurrency.WithLabelValues(r.id).Set(float64(min(next, conf)))
		select {
		case a.kick <- struct{}{}:
		default:
		}
	}
}

// effConc is the effective concurrency now.
func (r *runner) effConc() int {
	conf := cap(r.slotPool(nil))
	if !r.aimd.lowered.Load() {
		return conf
	}
	r.aimd.mu.Lock()
	defer r.aimd.mu.Unlock()
	return min(r.aimd.limit, conf)
}

// throttle holds the slots of the pool above the effective concurrency
// until the runner stops; a new pool (concurrency changed) starts afresh.
func (r *runner) throttle() {
	var pool chan struct{}
	held := 0
	for {
		if p := r.slotPool(nil); p != pool {
			pool, held = p, 0
		}
		want := cap(pool) - r.effConc()
		switch {
		case held > want:
			<-pool // one of the slots held here: never blocks
			held--
		case held < want:
			select {
			case pool <- struct{}{}:
				held++
			case <-r.aimd.kick:
			case <-r.ctx.Done():
				return
			}
		default:
			select {
			case <-r.aimd.kick:
			case <-r.ctx.Done():
				return
			}
		}
	}
}
