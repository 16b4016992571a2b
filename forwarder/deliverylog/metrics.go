package deliverylog

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/promreg"
)

// metrics keep the forwarder's names: they are user-visible.
type metrics struct {
	dropped  prometheus.Counter
	errors   prometheus.Counter
	buffered prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "bridge_forwarder_delivery_log_dropped_total",
			Help: "Delivery-log rows dropped because the buffer was full or ClickHouse stayed down at shutdown."}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "bridge_forwarder_delivery_log_write_errors_total",
			Help: "Failed writes of delivery-log batches (rows are kept and retried)."}),
		buffered: prometheus.NewGauge(prometheus.GaugeOpts{Name: "bridge_forwarder_delivery_log_buffered_rows",
			Help: "Delivery-log rows waiting to be written."}),
	}
	if err := promreg.Register(reg, m.dropped, m.errors, m.buffered); err != nil {
		return nil, fmt.Errorf("delivery log metrics: %w", err)
	}
	return m, nil
}
