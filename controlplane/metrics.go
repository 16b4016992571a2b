package controlplane

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	opsSent    *prometheus.CounterVec // type, result
	opsDropped prometheus.Counter
	// lifecycleDropped counts attempts the lifecycle queue had no room for.
	lifecycleDropped prometheus.Counter
	disabled         *prometheus.CounterVec // reason
	apiRequests      *prometheus.CounterVec // route, code
}

func newMetrics(reg prometheus.Registerer) *metrics {
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
		disabled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_mgmt_endpoints_disabled_total",
			Help: "Endpoints disabled automatically, by reason (gone, failing).",
		}, []string{"reason"}),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_mgmt_api_requests_total",
			Help: "Management API requests by route pattern and status code.",
		}, []string{"route", "code"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.opsSent, m.opsDropped, m.lifecycleDropped, m.disabled, m.apiRequests} {
			_ = reg.Register(c)
		}
	}
	return m
}
