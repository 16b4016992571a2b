package forwarder

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/testkit"
)

// gaugeOf is the value of the gauge name for an endpoint.
func gaugeOf(t *testing.T, e *env, name, endpointID string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if labelIs(m, "endpoint", endpointID) {
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no series %s{endpoint=%q}", name, endpointID)
	return 0
}

// stamps is a receiver that notes when each request arrives (first thing
// in the handler) and answers 200.
type stamps struct {
	srv *http.Server
	url string
	mu  sync.Mutex
	at  []time.Time
}

func newStamps(t *testing.T) *stamps {
	s := &stamps{}
	rcv := newReceiver(t) // a loopback server; its handler is replaced
	rcv.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		s.mu.Lock()
		s.at = append(s.at, now)
		s.mu.Unlock()
	})
	s.url = rcv.url()
	return s
}

func (s *stamps) times() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.at...)
}

// maxPerSecond is the most requests that arrived within any one second.
func maxPerSecond(at []time.Time) int {
	best := 0
	for i := range at {
		n := 0
		for _, b := range at[i:] { // arrival order: at is sorted
			if b.Sub(at[i]) >= time.Second {
				break
			}
			n++
		}
		best = max(best, n)
	}
	return best
}

// TestRateLimit: an endpoint with rate_limit 50 never receives more than
// 50 + 10 % requests in any second of a run with a backlog (an upper bound
// the limiter keeps however slow the machine: a stalled process does not
// release a bunch of requests when it resumes), while every delivery
// arrives (positive control); an unlimited endpoint fed the same events
// is not held back.
func TestRateLimit(t *testing.T) {
	const events, limit = 150, 50
	lim, free := newStamps(t), newStamps(t)
	ep := webhookEP("limited", lim.url, signing.NewSecret())
	ep.RateLimit = limit
	e := newEnv(t, testConfig(ep, webhookEP("free", free.url, signing.NewSecret())))
	for i := 0; i < events; i += 10 {
		evs := make([]event.Event, 10)
		for j := range evs {
			evs[j] = testEvent("popin_captured")
		}
		e.log.Append(evs...)
	}
	testkit.Eventually(t, 60*time.Second, func() error {
		if n, m := len(lim.times()), len(free.times()); n < events || m < events {
			return fmt.Errorf("limited got %d, free got %d of %d", n, m, events)
		}
		return nil
	})
	got := maxPerSecond(lim.times())
	t.Logf("most requests in one second: limited %d, unlimited %d", got, maxPerSecond(free.times()))
	if got > limit*11/10 {
		t.Errorf("the endpoint got %d requests within one second; rate_limit is %d/s", got, limit)
	}
	fl, ok := e.f.Flow("limited")
	if !ok || fl.RateLimit != limit || fl.NodeRateLimit != limit || fl.Nodes != 1 || fl.RateBurst != 1 {
		t.Errorf("flow %+v (ok %v): want rate 50, this node's share 50, 1 node, burst 1", fl, ok)
	}
	if v := gaugeOf(t, e, "bridge_forwarder_endpoint_rate_limit", "limited"); v != limit {
		t.Errorf("bridge_forwarder_endpoint_rate_limit = %v, want %d", v, limit)
	}
	if v := gaugeOf(t, e, "bridge_forwarder_endpoint_rate_limit", "free"); v != 0 {
		t.Errorf("unlimited endpoint: bridge_forwarder_endpoint_rate_limit = %v, want 0", v)
	}
	// Lifting the limit takes effect without a restart.
	ep.RateLimit = 0
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.f.SetEndpoints(ctx, []endpoint.Endpoint{ep, webhookEP("free", free.url, signing.NewSecret())}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if v := gaugeOf(t, e, "bridge_forwarder_endpoint_rate_limit", "limited"); v != 0 {
			return fmt.Errorf("bridge_forwarder_endpoint_rate_limit = %v after the limit was lifted", v)
		}
		return nil
	})
}

// TestPausedEndpointDoesNotHoldOthers: while one endpoint waits out a
// Retry-After (long here, so the check has no race with its end), another
// endpoint of the same site receives the events logged meanwhile, and the
// pause shows in the endpoint's health and metrics.
func TestPausedEndpointDoesNotHoldOthers(t *testing.T) {
	other := newStamps(t)
	var mu sync.Mutex
	count := 0
	rcv := newReceiver(t)
	rcv.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		count++
		mu.Unlock()
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	e := newEnv(t, testConfig(webhookEP("busy", rcv.url(), signing.NewSecret()), webhookEP("other", other.url, signing.NewSecret())))
	e.log.Append(testEvent("popin_captured"))
	testkit.Eventually(t, 20*time.Second, func() error {
		if fl, _ := e.f.Flow("busy"); fl.PausedUntil == nil {
			return fmt.Errorf("busy not paused yet")
		}
		return nil
	})
	for range 5 {
		e.log.Append(testEvent("popin_captured"))
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if got := len(other.times()); got != 6 {
			return fmt.Errorf("other endpoint got %d of 6", got)
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	if count != 1 {
		t.Errorf("the paused endpoint got %d requests, want only the one answered 429", count)
	}
	if v := gaugeOf(t, e, "bridge_forwarder_endpoint_paused", "busy"); v != 1 {
		t.Errorf("bridge_forwarder_endpoint_paused = %v, want 1", v)
	}
}

// TestAdaptiveConcurrency: 429s halve the endpoint's concurrency down to 1
// (health and metric agree, and the runner really has one slot), and a run
// of successes brings it back to the configured 8.
func TestAdaptiveConcurrency(t *testing.T) {
	secret := signing.NewSecret()
	rcv := newReceiver(t, secret)
	rcv.setStatus(func(int) int { return http.StatusTooManyRequests })
	ep := webhookEP("ep", rcv.url(), secret)
	ep.Concurrency = 8
	e := newEnv(t, testConfig(ep))
	for range 10 {
		e.log.Append(testEvent("popin_captured"))
	}
	conc := func(want int) func() error {
		return func() error {
			fl, ok := e.f.Flow("ep")
			if !ok || fl.Concurrency != want || fl.MaxConcurrency != 8 {
				return fmt.Errorf("flow %+v (ok %v): want concurrency %d of 8", fl, ok, want)
			}
			if v := gaugeOf(t, e, "bridge_forwarder_endpoint_concurrency", "ep"); v != float64(want) {
				return fmt.Errorf("bridge_forwarder_endpoint_concurrency = %v, want %d", v, want)
			}
			return nil
		}
	}
	testkit.Eventually(t, 30*time.Second, conc(1))
	// Enforced: with nothing in flight the throttle holds 7 of the 8
	// slots, so one attempt can start and a second cannot (retried while
	// the idle runner loop briefly holds the free slot to poll its queue).
	queueIdle(t, e, "ep")
	r := (*e.f.lanes.Load())["ep"]
	testkit.Eventually(t, 10*time.Second, func() error {
		s, ok := r.tryAcquire()
		if !ok {
			return fmt.Errorf("no slot free at concurrency 1")
		}
		defer func() { <-s }()
		if s2, ok := r.tryAcquire(); ok {
			<-s2
			return fmt.Errorf("a second slot is free at concurrency 1")
		}
		return nil
	})

	rcv.setStatus(nil)
	for range 12 {
		evs := make([]event.Event, 10)
		for j := range evs {
			evs[j] = testEvent("popin_captured")
		}
		e.log.Append(evs...)
	}
	testkit.Eventually(t, 60*time.Second, conc(8))
}

// TestRateLimitSharedAcrossNodes: two forwarder nodes sharing one
// JetStream count each other and each takes half of the endpoint's
// rate_limit; both deliver from the shared queue, and the receiver sees no
// more than the documented cluster bound (rate + nodes × (burst + 1)) plus
// 10 % in any second.
func TestRateLimitSharedAcrossNodes(t *testing.T) {
	const events, limit = 100, 50
	rcv := newStamps(t)
	ep := webhookEP("shared", rcv.url, signing.NewSecret())
	ep.RateLimit = limit
	a := newEnv(t, testConfig(ep))
	b := newEnvJS(t, testConfig(ep), a.js)
	for _, e := range []*env{a, b} {
		testkit.Eventually(t, 30*time.Second, func() error {
			if fl, _ := e.f.Flow("shared"); fl.Nodes != 2 || fl.NodeRateLimit != limit/2 {
				return fmt.Errorf("flow %+v: want 2 nodes, a share of %d/s", fl, limit/2)
			}
			return nil
		})
	}
	for i := 0; i < events; i += 10 {
		evs := make([]event.Event, 10)
		for j := range evs {
			evs[j] = testEvent("popin_captured")
		}
		a.log.Append(evs...)
	}
	testkit.Eventually(t, 60*time.Second, func() error {
		if n := len(rcv.times()); n < events {
			return fmt.Errorf("got %d of %d", n, events)
		}
		return nil
	})
	if len(a.obs.all()) == 0 || len(b.obs.all()) == 0 {
		t.Errorf("attempts: node a %d, node b %d; want both nodes delivering", len(a.obs.all()), len(b.obs.all()))
	}
	got, bound := maxPerSecond(rcv.times()), limit+2*2+limit/10
	t.Logf("most requests in one second: %d (bound %d)", got, bound)
	if got > bound {
		t.Errorf("the endpoint got %d requests within one second from 2 nodes; rate_limit is %d/s", got, limit)
	}
}
