package forwarder

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/queue"
	"github.com/popinbridge/bridge/internal/event"
)

// The fast path. The fan-out hands each first attempt for a healthy webhook
// endpoint to that endpoint's lane instead of the durable queue. The
// runner's dispatcher takes it from the lane and attempts it in one of the
// endpoint's slots. The delivery is settled — and the log segment it came
// from may be acked once all its deliveries are — when the attempt
// succeeded, or failed and its retry is stored in the durable queue, or it
// was dead-lettered. So a crash before that leaves the segment unacked: it
// is read again and the delivery made again (at least once, same
// webhook-id).
//
// A slow endpoint must not hold segments (and so every other endpoint's
// deliveries) for long, so a segment waits for a delivery at most about
// twice the budget (fast_path_budget):
//   - a lane admits no more than the endpoint can attempt within the budget
//     at its recent latency (Little's law); the rest is queued at once;
//   - not attempted within the budget after the fan-out handed it over (no
//     free slot) → it is put in the durable queue as it is;
//   - attempt still running a budget after it started → a hand-off copy is put in the
//     durable queue (NotBefore after the attempt's timeout) and the segment
//     no longer waits. When the attempt ends its outcome is noted in memory
//     (handoffs); the runner, fetching the copy, acks it without sending if
//     the attempt settled it, waits for the scheduled retry otherwise, and
//     after a restart (nothing noted) simply attempts it.
// A retryable failure or an average attempt latency over the budget opens
// the endpoint's circuit for fast_path_cooldown: meanwhile its deliveries go straight to
// the durable queue.

var errStopped = errors.New("forwarder: stopping")

// handoffMargin is how long after the fast-path attempt's timeout its
// hand-off copy becomes due.
const handoffMargin = 2 * time.Second

// delivery is a first attempt on its way from the fan-out.
type delivery struct {
	id       string
	ev       *event.Event
	ep       string
	seg      *segTracker
	deadline time.Time
}

// settle reports the delivery done (err nil: attempted and settled, or
// stored in the queue) to its segment.
func (d *delivery) settle(f *Forwarder, err error) {
	if err == nil {
		f.recent.add(d.id)
	}
	d.seg.settle(err)
}

func (d *delivery) message() *queue.Message {
	return &queue.Message{DeliveryID: d.id, WebhookID: queue.WebhookID(d.ev.ID), EndpointID: d.ep, Event: *d.ev, EnqueuedAt: time.Now()}
}

// lane is an endpoint's FIFO of first attempts. It is bounded by the
// fan-out's window of open segments.
type lane struct {
	mu     sync.Mutex
	items  []*delivery
	notify chan struct{}
}

func (l *lane) init() { l.notify = make(chan struct{}, 1) }

func (l *lane) push(d *delivery) {
	l.mu.Lock()
	l.items = append(l.items, d)
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

func (l *lane) pop() (*delivery, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.items) == 0 {
		return nil, false
	}
	d := l.items[0]
	l.items[0] = nil
	l.items = l.items[1:]
	if len(l.items) == 0 {
		l.items = nil
	}
	return d, true
}

func (l *lane) drain() []*delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.items
	l.items = nil
	return out
}

func (l *lane) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.items)
}

// offer gives a first attempt to the runner. It fails (the caller queues
// the delivery instead) when the runner is stopping or when its lane
// already holds what the endpoint can attempt within the budget at its
// recent latency (Little's law: concurrency × time / latency).
func (r *runner) offer(d *delivery, now time.Time) bool {
	if r.ctx.Err() != nil {
		return false
	}
	if r.lane.len() >= r.laneCap() {
		return false
	}
	r.lane.push(d)
	return true
}

// Lane admission bounds.
const (
	maxLane = 65536
)

func (r *runner) laneCap() int {
	lat := time.Duration(r.latency.Load())
	if lat <= 0 {
		return maxLane // not measured yet: the budget still bounds the wait
	}
	conc := cap(r.slotPool(nil))
	// Twice the estimate: latency swings under load (GC, CPU) must not spill
	// healthy traffic into the queue; the budget still bounds the wait.
	n := 2 * int64(conc) * int64(r.f.p.fastBudget) / int64(max(lat, 50*time.Microsecond))
	return int(min(max(n, 16*int64(conc)), maxLane))
}

// observe folds an attempt's latency into the endpoint's moving average.
func (r *runner) observe(d time.Duration) {
	old := r.latency.Load()
	if old == 0 {
		r.latency.Store(int64(d))
		return
	}
	r.latency.Store((7*old + int64(d)) / 8)
}

// dispatch runs first attempts from the lane in the endpoint's slots.
func (r *runner) dispatch() {
	var timer *time.Timer // reused for every wait for a slot
	for {
		d, ok := r.lane.pop()
		if !ok {
			select {
			case <-r.ctx.Done():
				r.abandonLane()
				return
			case <-r.lane.notify:
			}
			continue
		}
		now := time.Now()
		if !r.fastOK(now) || !now.Before(d.deadline) {
			r.f.enqueueFirst(d)
			continue
		}
		s, ok := r.tryAcquire()
		if !ok { // no slot free now: wait for one until the deadline
			if timer == nil {
				timer = time.NewTimer(d.deadline.Sub(now))
			} else {
				timer.Reset(d.deadline.Sub(now)) // no stale tick since Go 1.23
			}
			s, ok = r.acquire(timer.C)
			timer.Stop()
		}
		if !ok {
			if r.ctx.Err() != nil {
				d.settle(r.f, errStopped)
				r.abandonLane()
				return
			}
			r.f.enqueueFirst(d) // no free slot within the budget
			continue
		}
		r.startAttempt(d, s)
	}
}

// attemptJob is a first attempt for a worker, with the slot it holds.
type attemptJob struct {
	d *delivery
	s chan struct{}
}

// workerIdle is how long an idle fast-path worker waits for an attempt
// before it exits.
const workerIdle = 10 * time.Second

// startAttempt makes d's attempt in an idle worker if there is one, else
// in a new one. Workers outlive an attempt so that their stacks, grown by
// the HTTP client, and the goroutines themselves are reused; each busy one
// holds a slot, so there are about as many as the endpoint's concurrency.
func (r *runner) startAttempt(d *delivery, s chan struct{}) {
	r.inflight.Add(1)
	j := attemptJob{d: d, s: s}
	select {
	case r.jobs <- j:
	default:
		go r.worker(j)
	}
}

func (r *runner) worker(j attemptJob) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		r.attemptFirst(j.d)
		<-j.s
		r.inflight.Done()
		idle.Reset(workerIdle) // no stale tick since Go 1.23
		select {
		case j = <-r.jobs:
		case <-idle.C:
			return
		case <-r.ctx.Done():
			return
		}
	}
}

// abandonLane gives back what is waiting when the runner stops: the
// segments are read again later.
func (r *runner) abandonLane() {
	for _, d := range r.lane.drain() {
		d.settle(r.f, errStopped)
	}
}

// attemptFirst makes the first attempt of a delivery on the fast path.
func (r *runner) attemptFirst(d *delivery) {
	rt := r.runtime()
	if rt == nil || !rt.active() || !rt.single() {
		r.f.enqueueFirst(d)
		return
	}
	m := d.message()
	at := time.Now()
	handoff := time.AfterFunc(r.f.p.fastBudget, func() { r.handOff(d, m, at) })
	res := r.f.export(r.ctx, rt, []exporter.Item{{WebhookID: m.WebhookID, Event: &m.Event}})
	out := r.conclude(rt, m, 1, res, at)
	if !handoff.Stop() {
		// The segment no longer waits for this attempt: note the outcome
		// for the hand-off copy in the queue.
		switch out.action {
		case actDone:
			r.f.handoffs.put(d.id, handoffOutcome{settled: true})
		case actRetry:
			r.f.handoffs.put(d.id, handoffOutcome{retryAt: time.Now().Add(out.delay)})
		}
		return
	}
	switch out.action {
	case actDone:
		d.settle(r.f, nil)
	case actRetry:
		next := *m
		next.PriorAttempts, next.NotBefore = 1, time.Now().Add(out.delay)
		d.settle(r.f, r.f.q.Publish(context.Background(), &next, queue.RetryID(d.id, 1)))
	default:
		d.settle(r.f, errStopped)
	}
}

// handOff stores the copy of a first attempt that overran its budget, then
// releases its segment.
func (r *runner) handOff(d *delivery, m *queue.Message, at time.Time) {
	cp := *m
	cp.PriorAttempts, cp.Handoff, cp.NotBefore = 1, true, at.Add(r.f.p.timeout+handoffMargin)
	r.f.q.Submit(context.Background(), &cp, queue.HandoffID(d.id), func(err error) { d.settle(r.f, err) })
}

// handoffs remembers the outcome of fast-path attempts that were handed
// off, until the runner meets their copy in the queue. Bounded: beyond
// maxHandoffs nothing more is noted (the copy is then attempted again:
// at least once).
type handoffs struct {
	mu sync.Mutex
	m  map[string]handoffOutcome
}

const maxHandoffs = 100_000

type handoffOutcome struct {
	settled bool      // delivered or dead-lettered: nothing more to do
	retryAt time.Time // failed: the retry is due then
}

func (h *handoffs) put(id string, o handoffOutcome) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]handoffOutcome{}
	}
	if len(h.m) < maxHandoffs {
		h.m[id] = o
	}
}

func (h *handoffs) get(id string) (handoffOutcome, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o, ok := h.m[id]
	return o, ok
}

func (h *handoffs) del(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, id)
}
