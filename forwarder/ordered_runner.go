package forwarder

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/queue"
)

// orderedRunner delivers an endpoint's ordered deliveries (ordering
// per_visitor; design in README "Ordered delivery"). Every node runs one
// loop per partition; the partition's consumer hands out one message at a
// time cluster-wide, so whoever holds it is the only one acting for the
// visitors of that partition. A delivery whose visitor has a park is
// appended to it; otherwise it is attempted, and a retryable failure parks
// it (head of the park) with a wake-up due at the retry time. A due
// wake-up is taken by any node's wake loop, which attempts the park's head
// outside the partition; once the head is settled (delivered or
// dead-lettered) a release in the partition removes it and queues the
// wake-up of the next one. Parks change only under the partition, so an
// append never races a release. A failing delivery thus holds back only
// its own visitor's later deliveries, and never holds the partition.
type orderedRunner struct {
	r    *runner
	wake jetstream.Consumer
	part [queue.Partitions]jetstream.Consumer
}

// orderedOpTimeout bounds one queue operation of the ordered path.
const orderedOpTimeout = queue.PublishTimeout

// startOrdered creates the consumers and starts the loops (once per
// runner; they run until it stops, so leftovers drain after the endpoint
// stops being ordered).
func (r *runner) startOrdered(ctx context.Context) error {
	o := &orderedRunner{r: r}
	var err error
	if o.wake, err = r.f.q.WakeConsumer(ctx, r.id); err != nil {
		return err
	}
	for k := range o.part {
		if o.part[k], err = r.f.q.PartitionConsumer(ctx, r.id, k); err != nil {
			return err
		}
	}
	r.inflight.Add(1 + len(o.part))
	go func() { defer r.inflight.Done(); o.wakeLoop() }()
	for k := range o.part {
		go func() { defer r.inflight.Done(); o.partitionLoop(k) }()
	}
	return nil
}

// hold waits while the endpoint takes nothing (inactive, paused); false
// when the runner stops or the endpoint is gone.
func (o *orderedRunner) hold() bool {
	r := o.r
	for r.ctx.Err() == nil {
		rt := r.runtime()
		if rt == nil {
			return false
		}
		now := time.Now()
		switch {
		case !rt.active():
			retrySleep(r.ctx, inactiveDelay)
		case r.paused(now):
			retrySleep(r.ctx, time.Unix(0, r.pausedUntil.Load()).Sub(now))
		default:
			return true
		}
	}
	return false
}

func retrySleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (o *orderedRunner) partitionLoop(k int) {
	r := o.r
	for o.hold() {
		batch, err := o.part[k].Fetch(1, jetstream.FetchMaxWait(idlePoll))
		if err != nil {
			r.fetchFailed(err)
			continue
		}
		for msg := range batch.Messages() {
			o.handle(msg)
		}
	}
}

// wakeLoop attempts the heads of parks as their wake-ups come due, each
// in its own goroutine (and one of the endpoint's slots), without holding
// a partition: a wake-up is the only one of its visitor, so a head is
// attempted by one node at a time.
func (o *orderedRunner) wakeLoop() {
	r := o.r
	for r.ctx.Err() == nil {
		batch, err := o.wake.Fetch(64, jetstream.FetchMaxWait(idlePoll))
		if err != nil {
			r.fetchFailed(err)
			continue
		}
		for msg := range batch.Messages() {
			m, ok := r.decode(msg)
			if !ok {
				continue
			}
			if d := time.Until(m.NotBefore); d > 0 {
				_ = msg.NakWithDelay(d)
				continue
			}
			r.inflight.Add(1)
			go func() { defer r.inflight.Done(); o.retryHead(msg, m) }()
		}
	}
}

// retryHead makes the attempt wake-up w stands for (attempt
// w.PriorAttempts+1 of the park's head); the head settled, it asks the
// partition to release it (release); failed again, the next wake-up
// replaces w.
func (o *orderedRunner) retryHead(msg jetstream.Msg, w *queue.Message) {
	r := o.r
	rt := r.runtime()
	if rt == nil || !rt.active() {
		_ = msg.NakWithDelay(inactiveDelay)
		return
	}
	ctx, cancel := context.WithTimeout(r.ctx, orderedOpTimeout)
	head, seq, err := r.f.q.ParkHead(ctx, r.id, w.Visitor, 1)
	var second *queue.Message
	if err == nil && head != nil && head.DeliveryID != w.DeliveryID {
		second, _, err = r.f.q.ParkHead(ctx, r.id, w.Visitor, seq+1)
	}
	cancel()
	switch {
	case err != nil:
		o.putBack(msg)
		return
	case second != nil && second.DeliveryID == w.DeliveryID:
		// Woken by the release of the head before it, which removes
		// that head just after: attempted once it did.
		_ = msg.NakWithDelay(10 * time.Millisecond)
		return
	case head == nil || head.DeliveryID != w.DeliveryID: // settled already
		_ = msg.Ack()
		return
	}
	n := w.PriorAttempts + 1
	cur := *head
	cur.PriorAttempts = w.PriorAttempts
	out, ok := o.attempt(rt, msg, &cur, n)
	if !ok {
		_ = msg.Nak()
		return
	}
	done := false
	switch out.action {
	case actDone:
		rel := &queue.Message{DeliveryID: head.DeliveryID, EndpointID: r.id, Visitor: head.Visitor, Drain: true, EnqueuedAt: time.Now()}
		done = o.publish(func(ctx context.Context) error { return r.f.q.PublishPartition(ctx, rel, head.DeliveryID+"-r") })
	case actRetry:
		nw := wakeFor(head, n, out.delay)
		done = o.publish(func(ctx context.Context) error { return r.f.q.PublishWake(ctx, nw, queue.RetryID(head.DeliveryID, n)) })
	}
	if !done {
		o.putBack(msg) // the attempt is repeated (same webhook-id)
		return
	}
	if err := r.ackSure(msg); err != nil {
		r.f.logs.Warn(r.id, "ordered delivery: wake-up ack failed; the step is repeated", "endpoint", r.id, "err", err)
	}
}

func (o *orderedRunner) putBack(msg jetstream.Msg) {
	if o.r.ctx.Err() != nil {
		_ = msg.Nak()
		return
	}
	_ = msg.NakWithDelay(time.Second)
}

// publish runs one queue write within orderedOpTimeout and reports success.
func (o *orderedRunner) publish(op func(ctx context.Context) error) bool {
	ctx, cancel := context.WithTimeout(context.Background(), orderedOpTimeout)
	defer cancel()
	if err := op(ctx); err != nil {
		if o.r.ctx.Err() == nil {
			o.r.f.logs.Warn(o.r.id, "ordered delivery: queue write failed; retried", "endpoint", o.r.id, "err", err)
		}
		return false
	}
	return true
}

// handle acts on the partition message it holds; whatever it cannot
// finish is put back (the partition waits: order before progress).
func (o *orderedRunner) handle(msg jetstream.Msg) {
	r := o.r
	m, ok := r.decode(msg)
	if !ok {
		return
	}
	rt := r.runtime()
	if rt == nil || !rt.active() {
		_ = msg.NakWithDelay(inactiveDelay)
		return
	}
	var done bool
	if m.Drain {
		done = o.release(m)
	} else {
		done = o.first(rt, msg, m)
	}
	if done {
		// Confirmed: a partition holds its next message until this one is
		// acked, and an ack lost at a stop would make the attempt again.
		if err := r.ackSure(msg); err != nil {
			r.f.logs.Warn(r.id, "ordered delivery: ack failed; the step is repeated (same webhook-id)", "endpoint", r.id, "err", err)
		}
	} else if r.ctx.Err() != nil {
		_ = msg.Nak()
	} else {
		_ = msg.NakWithDelay(time.Second)
	}
}

// first handles a delivery as the fan-out queued it.
func (o *orderedRunner) first(rt *endpointRuntime, msg jetstream.Msg, m *queue.Message) bool {
	r := o.r
	ctx, cancel := context.WithTimeout(r.ctx, orderedOpTimeout)
	head, _, err := r.f.q.ParkHead(ctx, r.id, m.Visitor, 1)
	cancel()
	switch {
	case err != nil && head == nil:
		return false
	case head != nil && head.DeliveryID == m.DeliveryID:
		// Parked by an earlier run that stopped before its wake-up was
		// written: write it (a no-op when it was).
		w := wakeFor(m, m.PriorAttempts+1, 0)
		return o.publish(func(ctx context.Context) error {
			return r.f.q.PublishWake(ctx, w, queue.RetryID(m.DeliveryID, w.PriorAttempts))
		})
	case head != nil: // behind its visitor's held-back deliveries
		return o.publish(func(ctx context.Context) error { return r.f.q.PublishPark(ctx, m, m.DeliveryID+"-park") })
	}
	n := m.PriorAttempts + 1
	out, ok := o.attempt(rt, msg, m, n)
	if !ok {
		return false
	}
	switch out.action {
	case actDone:
		return true
	case actRetry:
		// Parked first, then its wake-up (a wake-up finding no head would
		// be dropped); a stop in between is mended above.
		w := wakeFor(m, n, out.delay)
		return o.publish(func(ctx context.Context) error { return r.f.q.PublishPark(ctx, m, m.DeliveryID+"-park") }) &&
			o.publish(func(ctx context.Context) error { return r.f.q.PublishWake(ctx, w, queue.RetryID(m.DeliveryID, n)) })
	}
	return false
}

// release removes the settled head d names from its visitor's park, after
// queuing the wake-up of the delivery behind it (due now): a crash in
// between repeats the wake-up's write (a no-op by its id), never strands
// the rest. A release for a head already removed is stale.
func (o *orderedRunner) release(d *queue.Message) bool {
	r := o.r
	ctx, cancel := context.WithTimeout(r.ctx, orderedOpTimeout)
	defer cancel()
	head, seq, err := r.f.q.ParkHead(ctx, r.id, d.Visitor, 1)
	switch {
	case err != nil && head == nil && seq == 0:
		return false
	case err == nil && (head == nil || head.DeliveryID != d.DeliveryID):
		return true
	}
	next, nseq, err := r.f.q.ParkHead(ctx, r.id, d.Visitor, seq+1)
	if err != nil && nseq == 0 {
		return false
	}
	if next != nil {
		w := wakeFor(next, next.PriorAttempts, 0)
		if !o.publish(func(ctx context.Context) error { return r.f.q.PublishWake(ctx, w, next.DeliveryID+"-w0") }) {
			return false
		}
	}
	return r.f.q.DeleteParked(ctx, seq) == nil
}

func wakeFor(m *queue.Message, attempts int, delay time.Duration) *queue.Message {
	return &queue.Message{DeliveryID: m.DeliveryID, EndpointID: m.EndpointID, Visitor: m.Visitor, Drain: true,
		PriorAttempts: attempts, NotBefore: time.Now().Add(delay), EnqueuedAt: time.Now()}
}

// attempt makes attempt n of m in one of the endpoint's slots, after its
// rate limit; ok false when the runner stopped first.
func (o *orderedRunner) attempt(rt *endpointRuntime, msg jetstream.Msg, m *queue.Message, n int) (outcome, bool) {
	r := o.r
	s, ok := r.acquire(nil)
	if !ok {
		return outcome{}, false
	}
	defer func() { <-s }()
	if err := r.waitTurn(r.ctx, rt); err != nil {
		return outcome{}, false
	}
	_ = msg.InProgress()
	now := time.Now()
	it := exporter.Item{WebhookID: m.WebhookID, Event: &m.Event}
	var res exporter.Result
	if err := rt.filterFailure(&m.Event); err != nil {
		res.Err, res.Unsent = err, true
	} else if err := rt.exp.Check(it, now); err != nil {
		res.Err, res.Unsent = err, true
	} else {
		res = r.f.export(r.actx, rt, []exporter.Item{it})
	}
	out := r.conclude(rt, m, n, res, now)
	return out, out.action != actAbandon
}
