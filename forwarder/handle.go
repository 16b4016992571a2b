package forwarder

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/collector/event"
	"github.com/popinbridge/bridge/forwarder/internal/capi"
	"github.com/popinbridge/bridge/forwarder/internal/retry"
	"github.com/popinbridge/bridge/forwarder/internal/ssrf"
)

// inactiveDelay is when a delivery fetched just as its endpoint stopped
// being active is offered again.
const inactiveDelay = 5 * time.Second

func (r *runner) handleWebhook(msg jetstream.Msg) {
	m, ok := r.decode(msg)
	if !ok {
		return
	}
	rt := r.runtime()
	if rt == nil || !rt.active() {
		_ = msg.NakWithDelay(inactiveDelay)
		return
	}
	at := time.Now()
	res := r.f.sendWebhook(r.ctx, rt, m.WebhookID, &m.Event)
	r.finish(rt, msg, m, res, at)
}

func (r *runner) handleCAPI(msgs []jetstream.Msg) {
	rt := r.runtime()
	var send []jetstream.Msg
	var ms []*message
	now := time.Now()
	for _, msg := range msgs {
		m, ok := r.decode(msg)
		if !ok {
			continue
		}
		if rt == nil || !rt.active() {
			_ = msg.NakWithDelay(inactiveDelay)
			continue
		}
		if capi.TooOld(&m.Event, now) {
			res := result{reqURL: capiURL(&rt.cfg), err: retry.Permanent(fmt.Errorf("event_time %s is older than Meta accepts (7 days); not sent",
				capi.EventTime(&m.Event).UTC().Format(time.RFC3339)))}
			r.finish(rt, msg, m, res, now)
			continue
		}
		send, ms = append(send, msg), append(ms, m)
	}
	if len(send) == 0 {
		return
	}
	evs := make([]*event.Event, len(ms))
	for i, m := range ms {
		evs[i] = &m.Event
	}
	at := time.Now()
	res := r.f.sendCAPI(r.ctx, rt, evs)
	if res.err != nil && retry.IsPermanent(res.err) && len(send) > 1 && !errors.Is(res.err, ssrf.ErrBlocked) {
		// Meta rejects a whole batch for one bad event: try each alone so
		// only the bad ones fail.
		for i := range send {
			for _, m := range send[i:] {
				_ = m.InProgress() // restart the ack wait of those still to send
			}
			one := r.f.sendCAPI(r.ctx, rt, evs[i:i+1])
			r.finish(rt, send[i], ms[i], one, time.Now())
		}
		return
	}
	for i := range send {
		r.finish(rt, send[i], ms[i], res, at)
	}
}

// finish records an attempt and settles the queued delivery: ack on
// success; on failure, a retry per the schedule (NakWithDelay, kept on disk)
// or the dead letters.
func (r *runner) finish(rt *endpointRuntime, msg jetstream.Msg, m *message, res result, at time.Time) {
	f := r.f
	n := attemptNo(msg, m)
	rec := f.record(rt, m, n, res, at)
	f.m.attempts.WithLabelValues(r.id).Inc()
	f.m.latency.WithLabelValues(r.id).Observe(res.latency.Seconds())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch {
	case res.err == nil:
		f.m.successes.WithLabelValues(r.id).Inc()
		rec.State = StateDelivered
		if err := msg.Ack(); err != nil {
			f.logger.Warn("ack failed; the delivery may be sent again (same webhook-id)", "endpoint", r.id, "delivery", m.DeliveryID, "err", err)
		}
	case res.disable:
		f.m.failures.WithLabelValues(r.id, "permanent").Inc()
		rec.State = StateDisabled
		reason := fmt.Sprintf("endpoint answered 410 Gone at %s", at.UTC().Format(time.RFC3339))
		if err := f.updateState(ctx, r.id, func(s *endpointState) {
			s.Status, s.Reason, s.StatusAt = StatusDisabled, reason, at
		}); err != nil {
			f.logger.Error("could not disable endpoint after 410", "endpoint", r.id, "err", err)
		} else {
			f.logger.Warn("endpoint disabled: it answered 410 Gone", "endpoint", r.id)
		}
		_ = msg.NakWithDelay(inactiveDelay) // kept for when the endpoint is enabled again
	default:
		kind := "retryable"
		if retry.IsPermanent(res.err) {
			kind = "permanent"
			if errors.Is(res.err, ssrf.ErrBlocked) {
				kind = "ssrf"
			}
		}
		f.m.failures.WithLabelValues(r.id, kind).Inc()
		delay, again := rt.schedule.Next(n-m.PriorAttempts, res.retryAfter)
		if kind == "retryable" && again && !m.Manual {
			rec.State = StateRetrying
			rec.NextAttemptAt = time.Now().Add(delay)
			if err := msg.NakWithDelay(delay); err != nil {
				f.logger.Warn("retry scheduling failed; redelivered after the ack wait", "endpoint", r.id, "err", err)
			}
			break
		}
		rec.State = StateDead
		reason := res.err.Error()
		if kind == "retryable" && !m.Manual {
			reason = fmt.Sprintf("retries exhausted after %d attempts: %s", n, reason)
		}
		if err := f.bury(ctx, m, n, res.status, reason, at); err != nil {
			f.logger.Error("dead letter not stored; delivery will be retried", "endpoint", r.id, "delivery", m.DeliveryID, "err", err)
			rec.State = StateRetrying
			_ = msg.NakWithDelay(time.Minute)
			break
		}
		f.m.deadLetters.WithLabelValues(r.id).Inc()
		if err := msg.Ack(); err != nil {
			f.logger.Warn("ack of dead delivery failed", "endpoint", r.id, "err", err)
		}
	}
	f.dlog.Add(rec)
	if f.set.Observer != nil {
		f.set.Observer.AttemptDone(attemptOf(rec))
	}
}

// record builds the delivery-log row of an attempt.
func (f *Forwarder) record(rt *endpointRuntime, m *message, n int, res result, at time.Time) DeliveryRecord {
	rec := DeliveryRecord{
		DeliveryID: m.DeliveryID, EventID: m.Event.ID, EndpointID: rt.cfg.ID, SiteID: m.Event.SiteID,
		EventName: m.Event.Name, WebhookID: m.WebhookID, Attempt: n, StatusCode: res.status, OK: res.err == nil,
		LatencyMS: res.latency.Milliseconds(), AttemptedAt: at, RequestURL: res.reqURL,
		RequestHeaders: res.reqHeaders, ResponseBody: f.clipBody(res.respBody),
	}
	if res.err != nil {
		rec.Error = res.err.Error()
	}
	if rt.cfg.Type == TypeFacebookCAPI || f.logsRawBodies(m.Event.SiteID) {
		rec.RequestBody = f.clipBody(res.reqBody)
	}
	return rec
}

// logsRawBodies: webhook bodies carry raw personal data; they are stored in
// the deliveries table only for sites whose PII policy is raw.
func (f *Forwarder) logsRawBodies(siteID string) bool {
	if f.set.Sites == nil {
		return false
	}
	s, ok := f.set.Sites.ByID(siteID)
	return ok && s.PII == "raw"
}

func (f *Forwarder) clipBody(b []byte) string {
	if len(b) > f.cfg.MaxLoggedBodyBytes {
		b = b[:f.cfg.MaxLoggedBodyBytes]
	}
	return string(b)
}
