package consentstore

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/promreg"
)

type metrics struct {
	writes  prometheus.Counter
	dropped *prometheus.CounterVec
	lookups *prometheus.CounterVec
}

// Drop reasons and lookup results (every series exists from the start).
const (
	dropQueueFull = "queue_full"
	dropError     = "error"
	dropClosed    = "closed"

	lookupFound   = "found"
	lookupDefault = "default"
	lookupError   = "error"
)

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		writes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_consent_store_writes_total", Help: "Consents written to the consent store (a visitor's consent changed or was refreshed).",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_consent_store_dropped_total", Help: "Consent changes not remembered: queue_full, error (bucket write failed), closed (store not running).",
		}, []string{"reason"}),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_consent_store_lookups_total", Help: "Consent lookups for events without consent: found, default (none remembered: the site's default applies), error.",
		}, []string{"result"}),
	}
	for _, r := range []string{dropQueueFull, dropError, dropClosed} {
		m.dropped.WithLabelValues(r)
	}
	for _, r := range []string{lookupFound, lookupDefault, lookupError} {
		m.lookups.WithLabelValues(r)
	}
	if err := promreg.Register(reg, m.writes, m.dropped, m.lookups); err != nil {
		return nil, err
	}
	return m, nil
}
