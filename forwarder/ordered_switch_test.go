package forwarder

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/testkit"
)

// switchProducer logs events of switchVisitors visitors, one to three per
// append, event n received at base + n ms (a logical clock, so the test
// needs no wall-clock margin). It never logs event n >= limit: as in
// production, where a switch lies endpoint.OrderingDelay ahead, no event
// received after a switch exists before every node has the endpoint.
type switchProducer struct {
	base time.Time
	mu   sync.Mutex
	cond *sync.Cond
	log  *eventlog.Log
	n    int // events logged
	lim  int
	end  int
	err  error
}

const switchVisitors = 4

func newSwitchProducer(l *eventlog.Log, end int) *switchProducer {
	p := &switchProducer{base: time.Now().UTC(), log: l, end: end}
	p.cond = sync.NewCond(&p.mu)
	return p
}

func (p *switchProducer) at(n int) time.Time { return p.base.Add(time.Duration(n) * time.Millisecond) }

func (p *switchProducer) id(n int) string { return fmt.Sprintf("V%d-%04d", n%switchVisitors, n) }

// allow lets events below lim be logged; wait blocks until n are.
func (p *switchProducer) allow(lim int) { p.mu.Lock(); p.lim = lim; p.cond.Broadcast(); p.mu.Unlock() }

func (p *switchProducer) wait(t *testing.T, n int) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.n < n && p.err == nil {
		p.cond.Wait()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
}

func (p *switchProducer) setLog(l *eventlog.Log) { p.mu.Lock(); p.log = l; p.mu.Unlock() }

func (p *switchProducer) run() {
	for {
		p.mu.Lock()
		for p.n >= p.lim && p.n < p.end {
			p.cond.Wait()
		}
		if p.n >= p.end {
			p.mu.Unlock()
			return
		}
		var evs []event.Event
		for k := p.n; k < min(p.n+1+p.n%3, p.lim); k++ {
			ev := testEvent("popin_captured")
			ev.ID, ev.UID, ev.AnonID, ev.ReceivedAt = p.id(k), fmt.Sprintf("V%d", k%switchVisitors), "", p.at(k)
			evs = append(evs, ev)
		}
		l := p.log
		p.mu.Unlock()
		err := l.Append(context.Background(), evs)
		p.mu.Lock()
		if err != nil {
			p.err = err
			p.n = p.end
		} else {
			p.n += len(evs)
		}
		p.cond.Broadcast()
		p.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Events stream for four visitors while the endpoint is switched from
// none to per_visitor, the forwarder restarts with events of both sides
// of the switch still being read, and it is switched back to none. Every
// event reaches the receiver exactly once (the switch points are stored
// in the endpoint, so the two fan-outs split the events alike), and the
// events of the ordered stretch come in log order per visitor.
func TestOrderingSwitchLosesNothing(t *testing.T) {
	const on, restart, off, end = 120, 240, 300, 420
	rcv, url := newOrderLog(t, func(string, int) int { return 200 })
	dir := t.TempDir()
	ep := webhookEP("ord", url, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	e := startOrderedEnv(t, dir, "5s", ep)
	p := newSwitchProducer(e.log, end)
	done := make(chan struct{})
	go func() { defer close(done); p.run() }()
	defer func() { p.allow(end); <-done }()

	// switchTo stores the endpoint with its ordering switched at event
	// at, while the events before it are still being logged and read.
	switchTo := func(ordering string, at, next int) {
		t.Helper()
		prev := ep.Clone()
		ep.Ordering = ordering
		ep.NoteOrdering(&prev, p.at(at))
		p.allow(at)
		if err := e.f.SetEndpoints(context.Background(), []endpoint.Endpoint{ep}); err != nil {
			t.Fatal(err)
		}
		p.allow(next)
	}
	p.allow(on / 2)
	switchTo(endpoint.OrderingPerVisitor, on, restart)
	p.wait(t, restart)
	e.stop(t)
	e = startOrderedEnv(t, dir, "5s", ep)
	defer func() { e.stop(t) }()
	p.setLog(e.log)
	switchTo(endpoint.OrderingNone, off, end)
	p.wait(t, end)

	all := make([]string, end)
	for n := range all {
		all[n] = p.id(n)
	}
	testkit.Eventually(t, 90*time.Second, func() error {
		if got := rcv.delivered(all); got < end {
			return fmt.Errorf("%d of %d events delivered", got, end)
		}
		return nil
	})
	rcv.mu.Lock()
	var twice []string
	for _, id := range all {
		if rcv.tries[id] > 1 {
			twice = append(twice, fmt.Sprintf("%s×%d", id, rcv.tries[id]))
		}
	}
	rcv.mu.Unlock()
	if len(twice) > 0 {
		t.Errorf("delivered more than once: %v", twice)
	}
	for v := range switchVisitors {
		var got []string
		from, to := fmt.Sprintf("V%d-%04d", v, on), fmt.Sprintf("V%d-%04d", v, off)
		for _, id := range rcv.requests(fmt.Sprintf("V%d", v)) {
			if id >= from && id < to { // one visitor's ids sort by n
				got = append(got, id)
			}
		}
		if !slices.IsSorted(got) {
			t.Errorf("visitor V%d: ordered stretch out of log order: %v", v, got)
		}
	}
}
