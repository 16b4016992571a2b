package forwarder

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// An endpoint's rate_limit caps its requests per second (every request:
// first attempts, retries, the items of a refused batch sent one by one,
// test sends). Each node of a cluster enforces its share, rate_limit / N
// with N the live forwarder nodes it counts (nodes.go), with a token bucket
// (golang.org/x/time/rate) of burst max(1, rate_burst / N). Precision, per
// node: in any interval of T seconds at most burst + 1 + share × T requests
// start — the +1 because waiters take their turn one at a time, so a
// stalled process does not release a bunch of reservations at once when it
// resumes. Across the cluster the sum holds while every node counts the
// same N; see nodes.go for the transitions.
//
// A rate-limited endpoint gets no fast path: every delivery goes through
// its durable queue (one disk write each, nothing at a limited rate), and
// its runner fetches no more than it may send within about a second, so a
// fetched delivery never waits past its ack wait. The queue is what
// spreads a backlog over the nodes, so each node has work for its share.

// fetchHorizon is how far ahead of the rate a runner fetches.
const fetchHorizon = time.Second

// rateGate is an endpoint's limiter at this node's share. The zero value
// is unlimited.
type rateGate struct {
	on   atomic.Bool // a limiter is set (read without mu on the unlimited path)
	mu   sync.Mutex
	lim  *rate.Limiter
	turn sync.Mutex // one waiter at a time
}

// limiter returns the endpoint's limiter at this node's current share, or
// nil when it has no rate limit (the unlimited path: a compare and an
// atomic load).
func (r *runner) limiter(rt *endpointRuntime) *rate.Limiter {
	g := &r.rl
	if !rt.cfg.Limited() {
		if g.on.Load() {
			g.mu.Lock()
			g.lim = nil
			g.on.Store(false)
			g.mu.Unlock()
			r.f.m.rateLimit.WithLabelValues(r.id).Set(0)
		}
		return nil
	}
	n := r.f.liveNodes()
	share := rate.Limit(rt.cfg.RateLimit / float64(n))
	burst := max(1, rt.cfg.Burst()/n)
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.lim == nil:
		g.lim = rate.NewLimiter(share, burst)
		g.on.Store(true)
	case g.lim.Limit() != share || g.lim.Burst() != burst:
		now := time.Now()
		g.lim.SetLimitAt(now, share)
		g.lim.SetBurstAt(now, burst)
	default:
		return g.lim
	}
	r.f.m.rateLimit.WithLabelValues(r.id).Set(float64(share))
	return g.lim
}

// waitTurn waits until the endpoint's rate limit lets one more request
// start (at once when it has none); an error when ctx ends first.
func (r *runner) waitTurn(ctx context.Context, rt *endpointRuntime) error {
	lim := r.limiter(rt)
	if lim == nil {
		return nil
	}
	r.rl.turn.Lock()
	defer r.rl.turn.Unlock()
	return lim.Wait(ctx)
}

// fetchable waits (until the runner stops) for a free turn without taking
// it, then says how many deliveries to fetch at most: what the limiter
// lets start within fetchHorizon, at most want and at least 1. Unlimited:
// want.
func (r *runner) fetchable(rt *endpointRuntime, want int) (int, bool) {
	lim := r.limiter(rt)
	if lim == nil {
		return want, true
	}
	for {
		now := time.Now()
		tokens := lim.TokensAt(now)
		if tokens >= 1 {
			ahead := tokens + float64(lim.Limit())*fetchHorizon.Seconds()
			return max(1, min(want, int(math.Floor(ahead)))), true
		}
		wait := time.Duration((1 - tokens) / float64(lim.Limit()) * float64(time.Second))
		t := time.NewTimer(max(wait, time.Millisecond))
		select {
		case <-r.ctx.Done():
			t.Stop()
			return 0, false
		case <-t.C:
		}
	}
}
