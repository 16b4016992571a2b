package controlplane

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/promreg"
)

type metrics struct {
	opsSent    *prometheus.CounterVec // type, result
	opsDropped prometheus.Counter
	// lifecycleDropped counts attempts the lifecycle queue had no room for.
	lifecycleDropped prometheus.Counter
	// lifecycleDecided counts attempts the lifecycle has applied.
	lifecycleDecided prometheus.Counter
	// opsQueued counts operational events queued for the ops URL, by
	// type; each ends counted in opsSent (sent, failed) or opsDropped.
	opsQueued *prometheus.CounterVec
	// exhausted counts dead deliveries one by one (the ops event
	// aggregates them).
	exhausted   prometheus.Counter
	disabled    *prometheus.CounterVec // reason
	apiRequests *prometheus.CounterVec // route, code
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		opsSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_mgmt_ops_notifications_total",
			Help: "Operational webhooks by event type and result (sent, failed, logged_only).",
		}, []string{"type", "result"}),
		opsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_mgmt_ops_notifications_dropped_total",
			Help: "Operational webhooks dropped because the queue was full or the bridge stopped.",
		}),
		lifecycleDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_mgmt_lifecycle_dropped_total",
			Help: "Attempt outcomes not seen by the endpoint lifecycle because its queue was full.",
		}),
		lifecycleDecided: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_mgmt_lifecycle_decided_total",
			Help: "Attempt outcomes the endpoint lifecycle has applied (with bridge_mgmt_lifecycle_dropped_total: every outcome the forwarder reported).",
		}),
		opsQueued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_mgmt_ops_notifications_queued_total",
			Help: "Operational webhooks queued for the ops URL, by event type; each is then counted in bridge_mgmt_ops_notifications_total (sent, failed) or dropped.",
		}, []string{"type"}),
		exhausted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_mgmt_deliveries_exhausted_total",
			Help: "Deliveries that used their last attempt (message.attempt.exhausted aggregates them per endpoint per window).",
		}),
		disabled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_mgmt_endpoints_disabled_total",
			Help: "Endpoints disabled automatically, by reason (gone, failing).",
		}, []string{"reason"}),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_mgmt_api_requests_total",
			Help: "Management API requests by route pattern and status code.",
		}, []string{"route", "code"}),
	}
	if err := promreg.Register(reg, m.opsSent, m.opsDropped, m.lifecycleDropped, m.lifecycleDecided, m.opsQueued, m.exhausted, m.disabled, m.apiRequests); err != nil {
		return nil, fmt.Errorf("controlplane: %w", err)
	}
	for _, r := range []string{"gone", "failing"} { // at 0 before the first
		m.disabled.WithLabelValues(r)
	}
	return m, nil
}
