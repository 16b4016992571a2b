package controlplane

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/endpoint"
)

var _ delivery.Observer = (*Manager)(nil)

// lifecycleTimeout bounds the bucket write of one lifecycle transition.
const lifecycleTimeout = 5 * time.Second

// AttemptDone implements delivery.Observer: it queues the attempt for the
// lifecycle worker and returns at once. When Config.LifecycleQueue
// attempts are already waiting it drops this one and counts it in
// bridge_mgmt_lifecycle_dropped_total (a later attempt of the same endpoint
// carries the same information). Test attempts are ignored.
func (m *Manager) AttemptDone(a Attempt) {
	if a.Test {
		return
	}
	select {
	case m.attempts <- a:
	default:
		m.metrics.lifecycleDropped.Inc()
	}
}

// runLifecycle applies queued attempts until stop is closed, then what is
// already queued; it sends the aggregated message.attempt.exhausted of
// each window that ends, and at stop those of the open windows.
func (m *Manager) runLifecycle(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(min(m.cfg.OpsWebhook.ExhaustedWindow, time.Second))
	defer tick.Stop()
	for {
		select {
		case a := <-m.attempts:
			m.decide(context.Background(), a)
			m.metrics.lifecycleDecided.Inc()
		case <-tick.C:
			m.notifyExhausted(m.exhausted.due(m.now()))
		case <-stop:
			for {
				select {
				case a := <-m.attempts:
					m.decide(context.Background(), a)
					m.metrics.lifecycleDecided.Inc()
				default:
					m.notifyExhausted(m.exhausted.flush())
					return
				}
			}
		}
	}
}

// decide is the one place of lifecycle decisions. It tracks each active
// endpoint's run of failures in the shared bucket, writing only on
// transitions (first failure, recovery, failing notice, disable): a 410
// answer disables the endpoint at once; a run of failures older than
// Config.FailingAfter sends endpoint.failing once; older than
// Config.DisableAfter disables it and sends endpoint.disabled. A success
// ends the run. A delivery that used its last retry (state dead) counts
// towards message.attempt.exhausted (aggregated per endpoint per
// ops_webhook.exhausted_window, exhausted.go). Test attempts, attempts to paused or
// disabled endpoints and unsent ones (refused before any request: a bad
// input, not a failing endpoint) change nothing else.
func (m *Manager) decide(ctx context.Context, a Attempt) {
	if a.State == delivery.StateDead && !a.Test {
		m.attemptsExhausted(a)
	}
	st := m.store()
	if st == nil || a.Test || a.Unsent {
		return
	}
	e, ok := st.endpoint(a.EndpointID)
	if !ok || !e.Active() {
		return
	}
	at := a.AttemptedAt
	if at.IsZero() {
		at = m.now()
	}
	at = at.UTC()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lifecycleTimeout)
	defer cancel()
	switch {
	case a.OK:
		if e.FailingSince != nil {
			m.transition(ctx, e.ID, func(e *Endpoint) bool {
				if e.FailingSince == nil {
					return false
				}
				e.FailingSince, e.FailingNotified = nil, false
				return true
			})
		}
	case a.StatusCode == http.StatusGone:
		m.disable(ctx, e.ID, "gone", fmt.Sprintf("the endpoint answered 410 Gone at %s", at.Format(time.RFC3339)), at)
	case e.FailingSince == nil:
		m.transition(ctx, e.ID, func(e *Endpoint) bool {
			if e.FailingSince != nil || !e.Active() {
				return false
			}
			e.FailingSince = &at
			return true
		})
	default:
		since := *e.FailingSince
		age := at.Sub(since)
		switch {
		case age >= m.cfg.DisableAfter:
			m.disable(ctx, e.ID, "failing", fmt.Sprintf("every attempt failed since %s", since.Format(time.RFC3339)), at)
		case age >= m.cfg.FailingAfter && !e.FailingNotified:
			if m.transition(ctx, e.ID, func(e *Endpoint) bool {
				if e.FailingNotified || e.FailingSince == nil {
					return false
				}
				e.FailingNotified = true
				return true
			}) {
				m.ops.notify(OpsEndpointFailing, map[string]any{
					"endpoint_id": e.ID, "site": e.Site, "url": e.PublicURL(), "failing_since": since,
					"last_status_code": a.StatusCode, "last_error": a.Error,
				})
			}
		}
	}
}

// attemptsExhausted counts a dead delivery; the first of an endpoint in a
// while is notified at once, the others when their window ends.
func (m *Manager) attemptsExhausted(a Attempt) {
	m.metrics.exhausted.Inc()
	if d, now := m.exhausted.add(a, m.now()); now {
		m.notifyExhausted([]ExhaustedData{d})
	}
}

func (m *Manager) notifyExhausted(ds []ExhaustedData) {
	for _, d := range ds {
		m.ops.notify(OpsAttemptsExhausted, d)
	}
}

// disable marks an endpoint disabled and notifies, once.
func (m *Manager) disable(ctx context.Context, id, reasonKey, reason string, at time.Time) {
	var ep Endpoint
	if !m.transition(ctx, id, func(e *Endpoint) bool {
		if !e.Active() {
			return false
		}
		e.Status, e.DisabledReason, e.DisabledAt = endpoint.StatusDisabled, reason, &at
		ep = e.Clone()
		return true
	}) {
		return
	}
	m.metrics.disabled.WithLabelValues(reasonKey).Inc()
	m.ops.notify(OpsEndpointDisabled, map[string]any{
		"endpoint_id": ep.ID, "site": ep.Site, "url": ep.PublicURL(), "reason": reason, "failing_since": ep.FailingSince,
	})
}

// transition applies change to the stored endpoint; it reports whether
// the change was written (false when change declined or the write failed).
func (m *Manager) transition(ctx context.Context, id string, change func(*Endpoint) bool) bool {
	wrote := false
	_, err := m.store().updateEndpoint(ctx, id, func(e *Endpoint, _ *string) error {
		wrote = false
		if !change(e) {
			return errUnchanged
		}
		e.UpdatedAt = m.now().UTC()
		wrote = true
		return nil
	})
	if err != nil {
		m.logs.Error(id, "controlplane: endpoint lifecycle update failed", "endpoint", id, "err", err)
		return false
	}
	return wrote
}
