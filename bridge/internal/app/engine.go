package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/popinbridge/bridge/controlplane"
	"github.com/popinbridge/bridge/forwarder"
	"github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/event"
)

// engine adapts the forwarder to the control plane. The control plane's
// store (a JetStream KV bucket every node shares) is the source of truth
// for endpoints, their status and their secrets; the forwarder is handed the
// complete set on every change (the one endpoint model, no conversion) and
// reports every attempt back to the control plane's lifecycle.
type engine struct {
	fwd *forwarder.Forwarder
	log *slog.Logger
	// observer is the control plane's lifecycle (set in New, before
	// anything starts).
	observer delivery.Observer
	// ingestOnly: this node's role is ingest; its forwarder never starts,
	// and requests that need one are refused (errIngestOnly).
	ingestOnly bool

	mu sync.Mutex
	// failingIDs are the active endpoints whose run of failures the
	// control plane tracks (FailingSince set), as of the last Apply:
	// /readyz reports them as degraded destinations.
	failingIDs []string
}

var (
	_ controlplane.Engine       = (*engine)(nil)
	_ delivery.Observer         = (*engine)(nil)
	_ controlplane.FlowReporter = (*engine)(nil)
)

// Apply implements controlplane.Engine. Endpoints that do not validate are
// left out by the forwarder and named in the log; the others apply.
func (e *engine) Apply(eps []controlplane.Endpoint) {
	var failing []string
	for i := range eps {
		if eps[i].Active() && eps[i].FailingSince != nil {
			failing = append(failing, eps[i].ID)
		}
	}
	sort.Strings(failing)
	e.mu.Lock()
	e.failingIDs = failing
	e.mu.Unlock()
	if e.ingestOnly {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.fwd.SetEndpoints(ctx, eps); err != nil {
		e.log.Error("some endpoints were not applied to the forwarder", "err", err)
	}
}

// failing returns the ids of the active endpoints that are failing, sorted.
func (e *engine) failing() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.failingIDs
}

// Test implements controlplane.Engine. An endpoint the forwarder does not
// have (left out as invalid, or not applied yet) is refused with why; an
// event it does not take is a problem of the request's event.
func (e *engine) Test(ctx context.Context, ep controlplane.Endpoint, ev event.Event) (controlplane.Attempt, error) {
	if e.ingestOnly {
		return controlplane.Attempt{}, errIngestOnly()
	}
	a, err := e.fwd.Test(ctx, ep.ID, &ev)
	switch {
	case errors.Is(err, forwarder.ErrNotFound):
		why := e.fwd.Problems()[ep.ID]
		if why == "" {
			why = "it is not applied to the delivery engine yet; try again in a moment"
		}
		return a, controlplane.Refused("not_delivering", fmt.Sprintf("endpoint %s is not delivering: %s", ep.ID, why))
	case errors.Is(err, forwarder.ErrNotDelivered):
		return a, controlplane.Invalid("event", err.Error())
	}
	return a, err
}

// Retry implements controlplane.Engine: a dead delivery gets one new
// attempt with the same webhook-id.
func (e *engine) Retry(ctx context.Context, ep controlplane.Endpoint, d controlplane.Delivery) error {
	if e.ingestOnly {
		return errIngestOnly()
	}
	err := e.fwd.RetryDead(ctx, d.DeliveryID)
	if errors.Is(err, forwarder.ErrNotFound) {
		return controlplane.Refused("not_dead", fmt.Sprintf("delivery %s is not a dead letter: only deliveries that used up their retries can be retried one by one; one still retrying is retried on schedule, and a delivered one can be sent again with replay", d.DeliveryID))
	}
	return err
}

// Replay implements controlplane.Engine.
func (e *engine) Replay(ctx context.Context, ep controlplane.Endpoint, events []event.Event) error {
	if e.ingestOnly {
		return errIngestOnly()
	}
	return e.fwd.Redeliver(ctx, ep.ID, events)
}

// Problems implements controlplane.Engine (none known on an ingest node).
func (e *engine) Problems() map[string]string {
	if e.ingestOnly {
		return map[string]string{}
	}
	return e.fwd.Problems()
}

// errIngestOnly refuses what needs a forwarder on an ingest node.
func errIngestOnly() error {
	return controlplane.Refused("not_delivering", "this node runs with role ingest and delivers nothing; send the request to a node with role deliver or all")
}

// Flow implements controlplane.FlowReporter: the endpoint's flow control
// on this node.
func (e *engine) Flow(endpointID string) (controlplane.Flow, bool) { return e.fwd.Flow(endpointID) }

// AttemptDone implements delivery.Observer by handing the attempt to the
// control plane's lifecycle queue (never blocks).
func (e *engine) AttemptDone(a delivery.Attempt) {
	e.observer.AttemptDone(a)
}
