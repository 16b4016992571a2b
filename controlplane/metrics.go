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
	if err := promreg.Register(reg, m.opsSent, m.opsDropped, m.lifecycleDropped, m.exhausted, m.disabled, m.apiRequests); err != nil {
		return nil, fmt.Errorf("controlplane: %w", err)
	}
	for _, r := range []string{"gone", "failing"} { // at 0 before the first
		m.disabled.WithLabelValues(r)
	}
	return m, nil
}
