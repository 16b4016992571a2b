package forwarder

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/queue"
)

// The fast path decorates an endpoint's first attempts: the fan-out offers
// each first delivery of a healthy endpoint whose exporter takes one event
// per request to the endpoint's lane instead of writing it to the durable
// queue (offer false: the fan-out queues it as without a fast path). The
// fast path's dispatcher takes it from the lane and attempts it in one of the
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
//     at its recent latency (Little's law) or did attempt within the last
//     budget, whichever is more; the rest is queued at once;
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

//
// It is in this file and fastpath_handoff.go (hand-offs); the runner holds
// one (nil when fast_path_budget is 0) and calls it at three points: start
// (run), after every attempt (observe) and for each hand-off copy fetched
// from the queue (copyReady).

// handoffMargin is how long after the fast-path attempt's timeout its
// hand-off copy becomes due.
const handoffMargin = 2 * time.Second

// maxLane bounds a lane whatever the estimate.
const maxLane = 65536

// workerIdle is how long an idle fast-path worker waits for an attempt
// before it exits.
const workerIdle = 10 * time.Second

// fastPath is one endpoint's fast path.
type fastPath struct {
	r        *runner
	budget   time.Duration
	cooldown time.Duration
	lane     lane
	jobs     chan attemptJob // to idle workers
	// badUntil (unix ns): until then the endpoint gets no first attempts
	// from the fan-out, only the durable queue (circuit open after a
	// retryable failure or an average attempt latency over the budget).
	badUntil atomic.Int64
	// latency (ns) is a moving average of attempt latencies.
	latency atomic.Int64
	// attempts counts the attempts made within the last budget.
	attempts *attemptCount
}

func newFastPath(r *runner, budget, cooldown time.Duration) *fastPath {
	fp := &fastPath{r: r, budget: budget, cooldown: cooldown, jobs: make(chan attemptJob), attempts: newAttemptCount(budget)}
	fp.lane.notify = make(chan struct{}, 1)
	return fp
}

// offer takes a first attempt for the fast path. It fails (the caller
// queues the delivery instead) when the circuit is open, the runner is
// stopping, or the lane already holds what the endpoint can attempt within
// the budget at its recent latency (Little's law: concurrency × time /
// latency) or did attempt within the last budget, whichever is more.
func (fp *fastPath) offer(d *delivery, now time.Time) bool {
	if !fp.healthy(now) || fp.lane.len() >= fp.laneCap() {
		return false
	}
	d.deadline = now.Add(fp.budget)
	fp.lane.push(d)
	return true
}

// healthy says whether first attempts may take the fast path now.
func (fp *fastPath) healthy(now time.Time) bool {
	return now.UnixNano() >= fp.badUntil.Load() && !fp.r.paused(now) && fp.r.ctx.Err() == nil
}

// trip opens the circuit for the cool-down.
func (fp *fastPath) trip(now time.Time) {
	fp.badUntil.Store(now.Add(fp.cooldown).UnixNano())
}

// observe is told about every attempt of the endpoint (fast or queued):
// it folds the latency into the moving average and opens the circuit on a
// retryable failure or when the average exceeds the budget.
func (fp *fastPath) observe(res exporter.Result, retryable bool) {
	d := int64(res.Latency)
	if old := fp.latency.Load(); old != 0 {
		d = (7*old + d) / 8
	}
	fp.latency.Store(d)
	fp.attempts.add(monoNow())
	if retryable || time.Duration(d) > fp.budget {
		fp.trip(time.Now())
	}
}

func (fp *fastPath) laneCap() int {
	lat := time.Duration(fp.latency.Load())
	if lat <= 0 {
		return maxLane // not measured yet: the budget still bounds the wait
	}
	conc := fp.r.effConc()
	// Twice the estimate: latency swings under load (GC, CPU) must not spill
	// healthy traffic into the queue; the budget still bounds the wait.
	n := 2 * int64(conc) * int64(fp.budget) / int64(max(lat, 50*time.Microsecond))
	// The moving average follows the last few attempts only, so a stall of
	// the process (all attempts in flight slowed at once) inflates it for a
	// moment; what the endpoint did attempt within the last budget is then
	// the better estimate of what it can.
	n = max(n, 2*fp.attempts.last(monoNow()))
	return int(min(max(n, 16*int64(conc)), maxLane))
}

// run takes first attempts from the lane into the endpoint's slots until
// the runner stops.
func (fp *fastPath) run() {
	r := fp.r
	var timer *time.Timer // reused for every wait for a slot
	for {
		d, ok := fp.lane.pop()
		if !ok {
			select {
			case <-r.ctx.Done():
				fp.abandon()
				return
			case <-fp.lane.notify:
			}
			continue
		}
		now := time.Now()
		if !fp.healthy(now) || !now.Before(d.deadline) {
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
				r.f.enqueueFirst(d)
				fp.abandon()
				return
			}
			r.f.enqueueFirst(d) // no free slot within the budget
			continue
		}
		fp.start(d, s)
	}
}

// attemptJob is a first attempt for a worker, with the slot it holds.
type attemptJob struct {
	d *delivery
	s chan struct{}
}

// start makes d's attempt in an idle worker if there is one, else in a new
// one. Workers outlive an attempt so that their stacks, grown by the HTTP
// client, and the goroutines themselves are reused; each busy one holds a
// slot, so there are about as many as the endpoint's concurrency.
func (fp *fastPath) start(d *delivery, s chan struct{}) {
	fp.r.inflight.Add(1)
	j := attemptJob{d: d, s: s}
	select {
	case fp.jobs <- j:
	default:
		go fp.worker(j)
	}
}

func (fp *fastPath) worker(j attemptJob) {
	// The idle timer is not reset per attempt: when it fires, the worker
	// exits only if its last attempt ended workerIdle ago.
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	var ht *handoffTimer
	for {
		fp.attempt(j.d, &ht)
		<-j.s
		fp.r.inflight.Done()
		last := time.Now()
	wait:
		select {
		case j = <-fp.jobs:
		case <-idle.C:
			if left := workerIdle - time.Since(last); left > 0 {
				idle.Reset(left)
				goto wait
			}
			return
		case <-fp.r.ctx.Done():
			return
		}
	}
}

// abandon queues what is waiting when the runner stops, so its segments
// settle and are acked: nak'ed, they would be read again after a restart
// and their deliveries already made on the fast path made twice.
func (fp *fastPath) abandon() {
	for _, d := range fp.lane.drain() {
		fp.r.f.enqueueFirst(d)
	}
}

// attempt makes the first attempt of a delivery on the fast path; *ht is
// the worker's hand-off timer (made on first use, replaced after it fired).
func (fp *fastPath) attempt(d *delivery, ht **handoffTimer) {
	r := fp.r
	rt := r.runtime()
	if rt == nil || !rt.active() || !rt.single() || rt.cfg.Limited() {
		r.f.enqueueFirst(d)
		return
	}
	m := d.message()
	at := time.Now()
	handoff := fp.armHandoff(ht, d, at)
	d.items[0] = exporter.Item{WebhookID: m.WebhookID, Event: &m.Event}
	res := r.f.export(r.actx, rt, d.items[:])
	out := r.conclude(rt, m, 1, res, at)
	if handoff.Stop() {
		(*ht).clear()
	} else {
		*ht = nil // it fired: its callback keeps this delivery
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
