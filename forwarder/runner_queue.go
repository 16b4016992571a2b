package forwarder

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/forwarder/queue"
)

// ackSure acks msg and waits for the server to confirm it. A plain Ack is
// one-way: one sent as the process stops may never be applied, and the
// delivery it settled would be handed out, and made, again after a
// restart.
func (r *runner) ackSure(msg jetstream.Msg) error {
	ctx, cancel := context.WithTimeout(context.Background(), queue.PublishTimeout)
	defer cancel()
	return msg.DoubleAck(ctx)
}

// ack acks a settled delivery: one-way while running, confirmed once
// stopping (ackSure).
func (r *runner) ack(msg jetstream.Msg) error {
	if r.ctx.Err() != nil {
		return r.ackSure(msg)
	}
	return msg.Ack()
}

// decode reads a queued delivery; an unreadable one is dropped (terminated)
// with a log line, since no retry can fix it.
func (r *runner) decode(msg jetstream.Msg) (*queue.Message, bool) {
	m, err := queue.Decode(msg.Data())
	if err != nil {
		r.f.logs.Error(r.id, "unreadable delivery dropped", "endpoint", r.id, "err", err)
		_ = msg.Term()
		return nil, false
	}
	return m, true
}

// putBack returns a fetched delivery to the queue for d without an attempt.
func (r *runner) putBack(msg jetstream.Msg, d time.Duration) {
	if err := msg.NakWithDelay(d); err != nil {
		r.f.logs.Warn(r.id, "delivery not put back; redelivered after the ack wait", "endpoint", r.id, "err", err)
	}
	if r.dues.add(time.Now().Add(d)) {
		r.wake() // an idle loop waiting past this recomputes its wait
	}
}

// ready decodes a fetched delivery and decides whether to attempt it now:
// not before its NotBefore (put back until then), not while the endpoint is
// inactive, and for a hand-off copy as the fast path says (copyReady).
func (r *runner) ready(rt *endpointRuntime, msg jetstream.Msg) (*queue.Message, bool) {
	m, ok := r.decode(msg)
	if !ok {
		return nil, false
	}
	now := time.Now()
	if rt == nil || !rt.active() {
		r.putBack(msg, inactiveDelay)
		return nil, false
	}
	if m.NotBefore.After(now) {
		r.putBack(msg, m.NotBefore.Sub(now))
		return nil, false
	}
	if until := r.pausedUntil.Load(); now.UnixNano() < until {
		r.putBack(msg, time.Unix(0, until).Sub(now))
		return nil, false
	}
	if m.Handoff && !r.fast.copyReady(msg, m, now) {
		return nil, false
	}
	return m, true
}
