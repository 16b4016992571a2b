package forwarder

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/popinbridge/bridge/forwarder/deliverylog"
	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/queue"
	dlv "github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/payload"
)

// Attempt is the outcome of one delivery attempt (internal/delivery).
type Attempt = dlv.Attempt

func attemptOf(r deliverylog.Record) Attempt {
	return Attempt{DeliveryID: r.DeliveryID, EndpointID: r.EndpointID, EventID: r.EventID, EventName: r.EventName,
		WebhookID: r.WebhookID, Attempt: r.Attempt, OK: r.OK, StatusCode: r.StatusCode, LatencyMS: r.LatencyMS,
		Error: r.Error, AttemptedAt: r.AttemptedAt, NextAttemptAt: r.NextAttemptAt, State: r.State, Test: r.Test,
		ResponseBody: r.ResponseBody, MatchKeys: r.MatchKeys, Trigger: r.Trigger}
}

func (f *Forwarder) endpoint(id string) (*endpointRuntime, error) {
	rt, ok := f.routes.Load().byID[id]
	if !ok {
		return nil, fmt.Errorf("endpoint %q: %w", id, ErrNotFound)
	}
	return rt, nil
}

// Test sends a sample event (ev, or payload.Sample() for the endpoint's site
// when ev is nil) to an endpoint now, whatever its status, and returns the
// attempt. It is recorded in the delivery log with test=1 and never retried.
// Failing to reach the endpoint is an Attempt with OK false, not an error.
// The endpoint's filter does not apply to a test send; its transform does.
func (f *Forwarder) Test(ctx context.Context, endpointID string, ev *event.Event) (Attempt, error) {
	rt, err := f.endpoint(endpointID)
	if err != nil {
		return Attempt{}, err
	}
	if ev == nil {
		ev = payload.Sample()
		ev.SiteID = rt.cfg.Site
		ev.ID = "test_" + randomHex(12)
		ev.ClientTime, ev.ReceivedAt = time.Now().UTC(), time.Now().UTC()
		if s, ok := rt.exp.(exporter.Sampler); ok {
			ev.Name = s.SampleName()
		}
	}
	if !rt.exp.Wants(ev.Name) {
		return Attempt{}, fmt.Errorf("event %q: %w to endpoint %s (see its events and event_map)", ev.Name, ErrNotDelivered, endpointID)
	}
	m := &queue.Message{DeliveryID: queue.DeliveryID(endpointID, ev.ID), WebhookID: queue.WebhookID(ev.ID), EndpointID: endpointID, Event: *ev}
	if r := (*f.lanes.Load())[endpointID]; r != nil {
		if err := r.waitTurn(ctx, rt); err != nil {
			return Attempt{}, fmt.Errorf("endpoint %s rate limit: %w", endpointID, err)
		}
	}
	at := time.Now()
	res := f.export(ctx, rt, []exporter.Item{{WebhookID: m.WebhookID, Event: ev}})
	rec := f.record(rt, m, 1, res, at, true) // sample data only: the request body is logged
	rec.State = dlv.StateTest
	f.dlog.Add(rec)
	return attemptOf(rec), nil
}

// Redeliver queues events for an endpoint as manual deliveries (one attempt
// each, the usual webhook-id, recorded as replays), e.g. to replay a time
// range. Events the
// endpoint's filter rejects are left out (counted as filtered).
func (f *Forwarder) Redeliver(ctx context.Context, endpointID string, events []event.Event) error {
	rt, err := f.endpoint(endpointID)
	if err != nil {
		return err
	}
	f.mu.Lock()
	started := f.state == stateStarted
	f.mu.Unlock()
	if !started {
		return errors.New("forwarder: not started")
	}
	nonce := randomHex(6)
	for i := range events {
		ev := &events[i]
		if out, _ := f.filterOut(rt, &eventEnv{ev: ev}); out {
			continue
		}
		m := &queue.Message{DeliveryID: queue.DeliveryID(endpointID, ev.ID), WebhookID: queue.WebhookID(ev.ID), EndpointID: endpointID,
			Event: *ev, EnqueuedAt: time.Now(), Manual: true, Replay: true}
		if err := f.q.Publish(ctx, m, m.DeliveryID+"-m"+nonce); err != nil {
			return err
		}
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
