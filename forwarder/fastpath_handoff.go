package forwarder

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/forwarder/queue"
)

// Hand-offs of the fast path (see fastpath.go): a worker's hand-off timer,
// the copy stored when an attempt overruns its budget, and what the runner
// does with that copy.
// handoffTimer is a worker's timer for the hand-off of its current
// attempt: one AfterFunc per worker instead of one per attempt. Once it has
// fired, its fields are never set again (the worker makes a new one), so
// the callback hands off the attempt it was armed for.
type handoffTimer struct {
	t  *time.Timer
	mu sync.Mutex
	d  *delivery
	at time.Time
}

// armHandoff arms the worker's hand-off timer (*ht) for d's attempt
// started at at: fp.handOff runs after the budget unless it is stopped.
func (fp *fastPath) armHandoff(ht **handoffTimer, d *delivery, at time.Time) *time.Timer {
	h := *ht
	if h == nil {
		h = &handoffTimer{d: d, at: at}
		h.t = time.AfterFunc(fp.budget, func() {
			h.mu.Lock()
			d, at := h.d, h.at
			h.mu.Unlock()
			fp.handOff(d, &d.msg, at)
		})
		*ht = h
		return h.t
	}
	h.mu.Lock()
	h.d, h.at = d, at
	h.mu.Unlock()
	h.t.Reset(fp.budget) // stopped before: no stale run since Go 1.23
	return h.t
}

// clear lets the delivery of a stopped timer go.
func (h *handoffTimer) clear() {
	h.mu.Lock()
	h.d = nil
	h.mu.Unlock()
}

// handOff stores the copy of a first attempt that overran its budget, then
// releases its segment.
func (fp *fastPath) handOff(d *delivery, m *queue.Message, at time.Time) {
	cp := *m
	cp.PriorAttempts, cp.Handoff, cp.NotBefore = 1, true, at.Add(fp.r.f.p.timeout+handoffMargin)
	fp.r.f.q.Submit(context.Background(), &cp, queue.HandoffID(d.id), func(err error) { d.settle(fp.r.f, err) })
}

// copyReady decides on a hand-off copy fetched from the queue (see the
// runner's ready): attempt it (true) when the attempt it stands for is
// unknown here (e.g. after a restart) or failed and its retry is due; ack
// it when that attempt settled the delivery; put it back until the retry
// is due otherwise. fp may be nil (fast path off): the copy is attempted.
func (fp *fastPath) copyReady(msg jetstream.Msg, m *queue.Message, now time.Time) bool {
	if fp == nil {
		return true
	}
	h := &fp.r.f.handoffs
	switch o, ok := h.get(m.DeliveryID); {
	case !ok:
		return true
	case o.settled:
		h.del(m.DeliveryID)
		_ = fp.r.ack(msg)
		return false
	case o.retryAt.After(now):
		fp.r.putBack(msg, o.retryAt.Sub(now))
		return false
	default:
		h.del(m.DeliveryID)
		return true
	}
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
