package forwarder

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/forwarder/deliverylog"
	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/queue"
	dlv "github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/ssrf"
)

// inactiveDelay is when a delivery fetched just as its endpoint stopped
// being active is offered again.
const inactiveDelay = 5 * time.Second

// handle attempts deliveries fetched from the queue (at most the
// exporter's MaxBatch) in one Export. Items the exporter refuses outright
// (Check) are settled without being sent; when a batch fails permanently,
// each item is tried alone so that only the bad ones fail (a destination
// such as Meta refuses a whole batch for one bad event).
func (r *runner) handle(msgs []jetstream.Msg) {
	rt := r.runtime()
	var send []jetstream.Msg
	var ms []*queue.Message
	var items []exporter.Item
	now := time.Now()
	for _, msg := range msgs {
		m, ok := r.ready(rt, msg)
		if !ok {
			continue
		}
		it := exporter.Item{WebhookID: m.WebhookID, Event: &m.Event}
		if err := rt.filterFailure(&m.Event); err != nil {
			r.finish(rt, msg, m, exporter.Result{Err: err, Unsent: true}, now)
			continue
		}
		if err := rt.exp.Check(it, now); err != nil {
			r.finish(rt, msg, m, exporter.Result{Err: err, Unsent: true}, now)
			continue
		}
		send, ms, items = append(send, msg), append(ms, m), append(items, it)
	}
	if len(send) == 0 {
		return
	}
	at := time.Now()
	res := r.f.export(r.actx, rt, items)
	if res.Err != nil && retry.IsPermanent(res.Err) && len(send) > 1 && !errors.Is(res.Err, ssrf.ErrBlocked) {
		for i := range send {
			for _, m := range send[i:] {
				_ = m.InProgress() // restart the ack wait of those still to send
			}
			if err := r.waitTurn(r.ctx, rt); err != nil {
				_ = send[i].Nak() // stopping
				continue
			}
			one := r.f.export(r.actx, rt, items[i:i+1])
			r.finish(rt, send[i], ms[i], one, time.Now())
		}
		return
	}
	for i := range send {
		r.finish(rt, send[i], ms[i], res, at)
	}
}

// export is the timeout stage: one Export of items within the attempt
// timeout.
func (f *Forwarder) export(ctx context.Context, rt *endpointRuntime, items []exporter.Item) exporter.Result {
	ctx, cancel := context.WithTimeout(ctx, f.p.timeout)
	defer cancel()
	return rt.exp.Export(ctx, items)
}

// finish settles a delivery fetched from the queue after its attempt: ack
// on success or dead letter; on a retry, the next attempt is written to the
// queue (with its NotBefore) before this one is acked.
func (r *runner) finish(rt *endpointRuntime, msg jetstream.Msg, m *queue.Message, res exporter.Result, at time.Time) {
	n := m.PriorAttempts + 1
	out := r.conclude(rt, m, n, res, at)
	switch out.action {
	case actDone:
		if err := r.ack(msg); err != nil {
			r.f.logs.Warn(r.id, "ack failed; the delivery may be sent again (same webhook-id)", "endpoint", r.id, "delivery", m.DeliveryID, "err", err)
		}
	case actRetry:
		next := *m
		next.PriorAttempts, next.NotBefore, next.Handoff = n, time.Now().Add(out.delay), false
		ctx, cancel := context.WithTimeout(context.Background(), queue.PublishTimeout)
		err := r.f.q.Publish(ctx, &next, queue.RetryID(m.DeliveryID, n))
		cancel()
		if err != nil {
			// Keep this copy instead (the attempt number will repeat).
			r.f.logs.Warn(r.id, "retry not queued; the delivery is kept as it is", "endpoint", r.id, "delivery", m.DeliveryID, "err", err)
			r.putBack(msg, out.delay)
			return
		}
		if err := r.ack(msg); err != nil {
			r.f.logs.Warn(r.id, "ack after queuing the retry failed; the delivery may be attempted twice", "endpoint", r.id, "err", err)
		}
	default:
		_ = msg.Nak() // stopping: attempted again after the restart
	}
}

type action int

const (
	actDone    action = iota // settled: delivered or dead-lettered
	actRetry                 // attempt again after delay
	actAbandon               // cut short by shutdown: leave it for the next run
)

type outcome struct {
	action action
	delay  time.Duration
}

// conclude records attempt n (delivery log, metrics, observer), classifies
// it once and does what does not depend on where the delivery came from:
// the dead letter, the fast path's circuit. The caller
// then settles the delivery per the returned action.
func (r *runner) conclude(rt *endpointRuntime, m *queue.Message, n int, res exporter.Result, at time.Time) outcome {
	f := r.f
	if res.Err != nil && r.actx.Err() != nil && errors.Is(res.Err, context.Canceled) {
		return outcome{action: actAbandon}
	}
	rec := f.record(rt, m, n, res, at, false)
	em := r.metrics()
	em.attempts.Inc()
	em.latency.Observe(res.Latency.Seconds())
	if r.fast != nil {
		r.fast.observe(res, res.Err != nil && !retry.IsPermanent(res.Err))
	}
	r.pauseFor(res)
	r.adapt(res, at)
	var out outcome
	switch {
	case res.Err == nil:
		em.successes.Inc()
		rec.State = dlv.StateDelivered
	case res.Gone:
		f.m.failures.WithLabelValues(r.id, "permanent").Inc()
		rec.State = dlv.StateDisabled
		// Disabling is the control plane's decision (its lifecycle sees this
		// attempt); the delivery waits for the endpoint to be active again.
		f.logs.Warn(r.id, "endpoint answered 410 Gone; the control plane disables it", "endpoint", r.id)
		out = outcome{actRetry, inactiveDelay} // kept for when the endpoint is enabled again
	default:
		kind := "retryable"
		if retry.IsPermanent(res.Err) {
			kind = "permanent"
			if errors.Is(res.Err, ssrf.ErrBlocked) {
				kind = "ssrf"
			}
		}
		f.m.failures.WithLabelValues(r.id, kind).Inc()
		delay, again := rt.schedule.Next(n, res.RetryAfter)
		if kind == "retryable" && again && !m.Manual {
			rec.State = dlv.StateRetrying
			rec.NextAttemptAt = time.Now().Add(delay)
			out = outcome{actRetry, delay}
			break
		}
		rec.State = dlv.StateDead
		reason := res.Err.Error()
		if kind == "retryable" && !m.Manual {
			reason = fmt.Sprintf("retries exhausted after %d attempts: %s", n, reason)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := f.dead.Put(ctx, m, n, res.StatusCode, reason, at); err != nil {
			f.logs.Error(r.id, "dead letter not stored; delivery will be retried", "endpoint", r.id, "delivery", m.DeliveryID, "err", err)
			rec.State = dlv.StateRetrying
			rec.NextAttemptAt = time.Now().Add(time.Minute)
			out = outcome{actRetry, time.Minute}
			break
		}
		f.m.deadLetters.WithLabelValues(r.id).Inc()
	}
	f.dlog.Add(rec)
	if f.set.Observer != nil {
		a := attemptOf(rec)
		a.Unsent = res.Unsent
		f.set.Observer.AttemptDone(a)
	}
	return out
}

// record builds the delivery-log row of attempt n (a test send when test),
// keeping of its request and response what the log policy allows.
func (f *Forwarder) record(rt *endpointRuntime, m *queue.Message, n int, res exporter.Result, at time.Time, test bool) deliverylog.Record {
	rec := deliverylog.Record{
		DeliveryID: m.DeliveryID, EventID: m.Event.ID, EndpointID: rt.cfg.ID, SiteID: m.Event.SiteID,
		EventName: m.Event.Name, WebhookID: m.WebhookID, Attempt: n, StatusCode: res.StatusCode, OK: res.Err == nil,
		LatencyMS: res.Latency.Milliseconds(), AttemptedAt: at, Test: test, Trigger: trigger(m, n),
	}
	if res.Err != nil {
		rec.Error = res.Err.Error()
	}
	if mk, ok := rt.exp.(exporter.MatchKeyer); ok {
		rec.MatchKeys = mk.MatchKeys(&m.Event)
	}
	f.logPol.Fill(&rec, res.Request, res.ResponseBody)
	return rec
}

// trigger is what made attempt n of m (internal/delivery's Trigger*).
func trigger(m *queue.Message, n int) string {
	switch {
	case m.Replay || m.Manual && m.PriorAttempts == 0:
		return dlv.TriggerReplay
	case m.Manual:
		return dlv.TriggerManual
	case n > 1:
		return dlv.TriggerRetry
	}
	return dlv.TriggerFirst
}
