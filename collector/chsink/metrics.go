package chsink

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	rows        prometheus.Counter
	errors      prometheus.Counter
	ackErrors   prometheus.Counter
	fetchErrors prometheus.Counter
	badData     prometheus.Counter
	batchRows   prometheus.Histogram
	insertTime  prometheus.Histogram
	lag         prometheus.Gauge
	retrying    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		rows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_chsink_rows_inserted_total", Help: "Event rows inserted into ClickHouse (re-inserts after a retry count again).",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_chsink_insert_errors_total", Help: "Failed insert attempts; the batch is retried with backoff and nothing is acked.",
		}),
		ackErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_chsink_ack_errors_total", Help: "Segments inserted but not acked; the log redelivers them and the duplicate rows collapse.",
		}),
		fetchErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_chsink_fetch_errors_total", Help: "Failed reads from the event log.",
		}),
		badData: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_chsink_invalid_data_total", Help: "Events whose data was not valid JSON; stored with data {}.",
		}),
		batchRows: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "bridge_chsink_batch_rows", Help: "Rows per insert.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10),
		}),
		insertTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "bridge_chsink_insert_duration_seconds", Help: "Duration of successful inserts.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bridge_chsink_lag_segments", Help: "Segments committed to the log but not yet acked by the sink (reader Pending).",
		}),
		retrying: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bridge_chsink_retrying", Help: "1 while the sink is retrying a failed insert.",
		}),
	}
	m.rows = register(reg, m.rows)
	m.errors = register(reg, m.errors)
	m.ackErrors = register(reg, m.ackErrors)
	m.fetchErrors = register(reg, m.fetchErrors)
	m.badData = register(reg, m.badData)
	m.batchRows = register(reg, m.batchRows)
	m.insertTime = register(reg, m.insertTime)
	m.lag = register(reg, m.lag)
	m.retrying = register(reg, m.retrying)
	return m
}

// register registers c, or returns the collector already registered under
// its name (two sinks in one process share the series).
func register[T prometheus.Collector](reg prometheus.Registerer, c T) T {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if e, ok := are.ExistingCollector.(T); ok {
				return e
			}
		}
	}
	return c
}
