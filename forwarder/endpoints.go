package forwarder

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/popinbridge/bridge/internal/endpoint"
)

// routeTable is the fan-out's view of endpoints, by site.
type routeTable struct {
	bySite map[string][]*endpointRuntime
	byID   map[string]*endpointRuntime
}

// SetEndpoints replaces the endpoints (the control plane calls it after
// every change): new ones start, removed ones stop (their queued
// deliveries stay in the queue until the endpoint comes back or the queue
// is purged), changed ones take effect for the next attempt; unchanged
// ones are kept as they are. An endpoint that does not pass
// endpoint.Validate is left out (it receives nothing, its events are not
// read for it, and it is counted in bridge_forwarder_endpoints_invalid)
// while every other endpoint is applied; the error names each one left out.
// The fan-out reads the log only once endpoints are known: after the first
// call, or at Start when New was given cfg.Endpoints.
func (f *Forwarder) SetEndpoints(ctx context.Context, eps []endpoint.Endpoint) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := errors.Join(f.setLocked(eps), f.syncRunnersLocked(ctx))
	f.setOnce.Do(func() { close(f.endpointsSet) })
	return err
}

// setLocked validates and compiles eps, reusing the runtime of every
// endpoint that did not change, and publishes the new route table.
func (f *Forwarder) setLocked(eps []endpoint.Endpoint) error {
	old := f.routes.Load()
	rt := &routeTable{bySite: map[string][]*endpointRuntime{}, byID: map[string]*endpointRuntime{}}
	invalid := map[string]error{}
	for i := range eps {
		e := &eps[i]
		if prev := old.byID[e.ID]; prev != nil && sameDelivery(&prev.cfg, e) {
			rt.add(prev)
			continue
		}
		if err := e.Validate(endpoint.Checks{Guard: f.guard}); err != nil {
			invalid[e.ID] = err
			continue
		}
		r, err := buildRuntime(*e, f)
		if err != nil {
			invalid[e.ID] = err
			continue
		}
		rt.add(r)
	}
	for id := range f.invalid {
		if _, still := invalid[id]; !still {
			f.m.invalidEndpoints.DeleteLabelValues(id)
		}
	}
	var errs []error
	for id, err := range invalid {
		f.m.invalidEndpoints.WithLabelValues(id).Set(1)
		f.logger.Error("endpoint left out: it does not validate; every other endpoint keeps delivering", "endpoint", id, "err", err)
		errs = append(errs, fmt.Errorf("endpoint %s: %w", id, err))
	}
	f.invalid = invalid
	f.routes.Store(rt)
	f.releaseReplaced(old, rt)
	return errors.Join(errs...)
}

func (t *routeTable) add(r *endpointRuntime) {
	t.byID[r.cfg.ID] = r
	t.bySite[r.cfg.Site] = append(t.bySite[r.cfg.Site], r)
}

// Problems returns, for each endpoint SetEndpoints left out, why: the
// endpoint receives nothing until a change makes it valid.
func (f *Forwarder) Problems() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]string, len(f.invalid))
	for id, err := range f.invalid {
		out[id] = err.Error()
	}
	return out
}

// sameDelivery reports whether two versions of an endpoint deliver alike:
// equal in everything but the control plane's bookkeeping (lifecycle,
// timestamps, description), so a lifecycle write does not rebuild the
// endpoint's runtime.
func sameDelivery(a, b *endpoint.Endpoint) bool {
	x, y := deliveryPart(*a), deliveryPart(*b)
	return reflect.DeepEqual(&x, &y)
}

func deliveryPart(e endpoint.Endpoint) endpoint.Endpoint {
	e.ApplyDefaults()
	e.Description, e.Origin = "", ""
	e.DisabledReason, e.DisabledAt, e.FailingSince, e.FailingNotified = "", nil, nil, false
	e.CreatedAt, e.UpdatedAt = time.Time{}, time.Time{}
	if len(e.Headers) == 0 {
		e.Headers = nil
	}
	if len(e.EventMap) == 0 {
		e.EventMap = nil
	}
	if len(e.RetrySchedule) == 0 {
		e.RetrySchedule = nil
	}
	if len(e.PreviousSecrets) == 0 {
		e.PreviousSecrets = nil
	}
	return e
}
