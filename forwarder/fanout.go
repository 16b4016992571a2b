package forwarder

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/queue"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/retry"
)

// openSegments and openDeliveries bound what the fan-out holds unsettled:
// log segments not yet acked and their deliveries. Beyond either it stops
// reading the log until some settle. Every delivery settles within about
// fast_path_budget plus one group of queue writes, and a lane admits no
// more than its endpoint can attempt within half the budget (the rest is
// queued at once), so the window drains quickly even when an endpoint is
// slow; for healthy endpoints it paces reading to their speed instead of
// spilling a burst into the queue.
const (
	openSegments   = 256
	openDeliveries = 2048
)

// fanout reads the event log and dispatches one delivery per (event,
// endpoint that wants it): a first attempt on the fast path (fastpath.go) for
// a healthy webhook endpoint, else a write to the durable queue. A segment
// is acked once every delivery of it is settled (attempted successfully,
// or stored in the queue, or dead-lettered), and nak'ed for a new reading
// if any could not be.
func (f *Forwarder) fanout(ctx context.Context, reader eventlog.Reader) {
	window := make(chan struct{}, openSegments)
	backoff := retry.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	for ctx.Err() == nil {
		segs, err := reader.Fetch(ctx, 16, time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			f.logs.Warn("", "event log fetch failed; retrying", "err", err)
			retry.Sleep(ctx, backoff.Next())
			continue
		}
		backoff.Reset()
		for _, seg := range segs {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return // unacked: read again after a restart
			}
			n := f.deliveriesOf(seg)
			if !f.win.acquire(ctx, n) {
				<-window
				return
			}
			t := &segTracker{seg: seg, done: func(t *segTracker) { f.win.release(n); <-window; f.acks <- t }}
			f.dispatchSegment(t)
		}
	}
}

var errStopped = errors.New("forwarder: stopping")

// delivery is a first attempt on its way from the fan-out.
type delivery struct {
	id  string
	ev  *event.Event
	ep  string
	seg *segTracker
	// deadline is set by the fast path: not attempted by then, it is queued.
	deadline time.Time
	// msg is the delivery as a queue message (message); items is what a
	// fast-path attempt exports. Kept here: one allocation per delivery.
	msg   queue.Message
	items [1]exporter.Item
}

// settle reports the delivery done (err nil: attempted and settled, or
// stored in the queue) to its segment.
func (d *delivery) settle(f *Forwarder, err error) {
	if err == nil {
		f.recent.add(d.id)
	}
	d.seg.settle(err)
}

// message returns the delivery as a queue message (set anew on each call).
func (d *delivery) message() *queue.Message {
	d.msg = queue.Message{DeliveryID: d.id, WebhookID: queue.WebhookID(d.ev.ID), EndpointID: d.ep, Event: *d.ev, EnqueuedAt: time.Now()}
	return &d.msg
}

// deliveriesOf counts the deliveries a segment will make (for the window).
func (f *Forwarder) deliveriesOf(seg eventlog.Segment) int64 {
	routes := f.routes.Load()
	var n int64
	evs := seg.Events()
	for i := range evs {
		for _, rt := range routes.bySite[evs[i].SiteID] {
			if rt.wants(evs[i].SiteID, evs[i].Name) && !f.orderedElsewhere(rt, &evs[i]) {
				n++
			}
		}
	}
	return n
}

// window is a counting semaphore of open deliveries; one segment larger
// than the whole window still gets in when nothing else is open.
type window struct {
	mu      sync.Mutex
	max     int64
	open    int64
	changed chan struct{}
}

func newWindow(max int64) *window { return &window{max: max, changed: make(chan struct{})} }

func (w *window) acquire(ctx context.Context, n int64) bool {
	for {
		w.mu.Lock()
		if w.open == 0 || w.open+n <= w.max {
			w.open += n
			w.mu.Unlock()
			return true
		}
		ch := w.changed
		w.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

func (w *window) release(n int64) {
	w.mu.Lock()
	w.open -= n
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
}

// segTracker counts a segment's deliveries not yet settled.
type segTracker struct {
	seg     eventlog.Segment
	pending atomic.Int64
	failed  atomic.Pointer[error]
	done    func(*segTracker)
}

func (t *segTracker) settle(err error) {
	if err != nil {
		e := err // only a failure is stored on the heap
		t.failed.CompareAndSwap(nil, &e)
	}
	if t.pending.Add(-1) == 0 {
		t.done(t)
	}
}

// dispatchSegment hands out the deliveries of a segment.
func (f *Forwarder) dispatchSegment(t *segTracker) {
	routes := f.routes.Load()
	runners := f.lanes.Load()
	t.pending.Store(1) // held until every delivery is handed out
	now := time.Now()
	evs := t.seg.Events()
	for i := range evs {
		ev := &evs[i]
		env := eventEnv{ev: ev}
		for _, rt := range routes.bySite[ev.SiteID] {
			if !rt.wants(ev.SiteID, ev.Name) || f.orderedElsewhere(rt, ev) {
				continue
			}
			if rt.cfg.Status == endpoint.StatusDisabled {
				f.m.enqueueDrops.WithLabelValues(rt.cfg.ID, "disabled").Inc()
				continue
			}
			id := queue.DeliveryID(rt.cfg.ID, ev.ID)
			if f.recent.has(id) { // a segment read again: settled already
				continue
			}
			out, queueOnly := f.filterOut(rt, &env)
			if out || f.suppress(rt, &env, id) {
				continue
			}
			t.pending.Add(1)
			d := &delivery{id: id, ev: ev, ep: rt.cfg.ID, seg: t}
			if r := (*runners)[rt.cfg.ID]; !queueOnly && r != nil && r.fast != nil && rt.single() && !rt.cfg.Limited() && rt.active() && r.fast.offer(d, now) {
				continue
			}
			f.enqueueFirst(d)
		}
	}
	t.settle(nil)
}

// enqueueFirst stores a delivery in the durable queue for its first
// attempt (group-committed with others; see publisher). A full endpoint
// queue drops it, counted.
func (f *Forwarder) enqueueFirst(d *delivery) {
	f.q.Submit(context.Background(), d.message(), d.id, func(err error) {
		switch {
		case err == nil:
			f.m.enqueued.WithLabelValues(d.ep).Inc()
		case queue.IsFull(err):
			f.m.enqueueDrops.WithLabelValues(d.ep, "queue_full").Inc()
			f.logs.Error(d.ep, "endpoint queue full: delivery dropped", "endpoint", d.ep, "limit", f.cfg.MaxQueuedPerEndpoint)
			err = nil
		}
		d.settle(f, err)
	})
}

// Finished segments are acked together (eventlog.AckAll: one round trip to
// the log's server for the lot). At low traffic — the last lot was smaller
// than ackBatch — the acker, woken by a finished segment, lets more finish
// for ackLinger before it acks: one wake-up and one round trip per lot
// instead of per segment. The linger only delays the ack, not a delivery:
// after a crash, the deliveries of segments finished within it are made
// again (at least once, same webhook-id), as those still in flight are.
// Under load lots are large and acked at once; while the acker lingers,
// f.acks (openSegments) holds what finishes meanwhile.
const (
	ackLinger = 50 * time.Millisecond
	ackBatch  = 64
)

// acker acks (or naks, when a delivery could not be settled) finished
// segments, off the delivery path. It runs until stop is closed, then acks
// what already finished.
func (f *Forwarder) acker(stop <-chan struct{}) {
	var (
		lot   []eventlog.Segment
		timer *time.Timer
		light = true // the last lot was small: linger
	)
	one := func(t *segTracker) {
		if errp := t.failed.Load(); errp != nil {
			f.m.fanoutErrors.Inc()
			if *errp != errStopped {
				f.logs.Warn("", "deliveries of a log segment not settled; it will be read again", "seq", t.seg.Seq(), "err", *errp)
			}
			_ = t.seg.Nak(time.Second)
			return
		}
		lot = append(lot, t.seg)
	}
	// finish takes what else finished and acks the lot.
	finish := func() {
		for more := true; more; {
			select {
			case t := <-f.acks:
				one(t)
			default:
				more = false
			}
		}
		light = len(lot) < ackBatch
		if n, err := eventlog.AckAll(lot); err != nil {
			f.logs.Warn("", "log segment acks failed; they will be read again", "segments", n, "err", err)
		}
		clear(lot)
		lot = lot[:0]
	}
	for {
		select {
		case t := <-f.acks:
			one(t)
		case <-stop:
			finish()
			return
		}
		if light {
			if timer == nil {
				timer = time.NewTimer(ackLinger)
			} else {
				timer.Reset(ackLinger) // no stale tick since Go 1.23
			}
			select {
			case <-timer.C:
			case <-stop:
				timer.Stop()
				finish()
				return
			}
		}
		finish()
	}
}

// recentSet remembers the deliveries settled in this process for
// dedup_window (at most recentMax), so that a segment read again (after a
// nak) does not send them again. Across a restart the durable queue's
// Nats-Msg-Id dedup covers queued deliveries; fast-path ones may be sent
// twice (same webhook-id).
type recentSet struct {
	mu     sync.Mutex
	window time.Duration
	m      map[string]int64 // id → when added (monoNow)
	order  []recentEntry    // oldest first
}

type recentEntry struct {
	id string
	at int64 // monoNow
}

// monoStart anchors monoNow.
var monoStart = time.Now()

// monoNow is a monotonic clock reading in ns (unaffected by wall-clock steps).
func monoNow() int64 { return int64(time.Since(monoStart)) }

const recentMax = 200_000

func (s *recentSet) add(id string) {
	now := monoNow()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]int64{}
	}
	if _, ok := s.m[id]; ok {
		return
	}
	// Evict expired entries and, at the bound, the oldest.
	for len(s.order) > 0 {
		old := s.order[0]
		if len(s.order) < recentMax && now-old.at < int64(s.window) {
			break
		}
		delete(s.m, old.id)
		s.order[0] = recentEntry{}
		s.order = s.order[1:]
	}
	s.m[id] = now
	s.order = append(s.order, recentEntry{id, now})
}

func (s *recentSet) has(id string) bool {
	s.mu.Lock()
	at, ok := s.m[id]
	s.mu.Unlock()
	return ok && monoNow()-at < int64(s.window)
}
