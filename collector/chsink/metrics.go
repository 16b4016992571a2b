package chsink

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/promreg"
)

type metrics struct {
	rows        prometheus.Counter
	errors      prometheus.Counter
	ackErrors   prometheus.Counter
	fetchErrors prometheus.Counter
	badData     prometheus.Counter
	// analyticsDenied counts events whose visitor denied analytics, by what
	// was stored: anonymous or drop (not stored).
	analyticsDenied *prometheus.CounterVec
	// erased counts events of erased people, stored anonymously.
	erased     prometheus.Counter
	batchRows  prometheus.Histogram
	insertTime prometheus.Histogram
	lag        prometheus.Gauge
	retrying   prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
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
		analyticsDenied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_chsink_analytics_denied_total", Help: "Events whose visitor denied analytics, by the site's analytics_denied: anonymous (stored without personal data or identifiers) or drop (not stored).",
		}, []string{"action"}),
		erased: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_chsink_erased_total", Help: "Events of people on the suppression list (erased), stored without personal data or identifiers.",
		}),
	}
	m.analyticsDenied.WithLabelValues("anonymous")
	m.analyticsDenied.WithLabelValues("drop")
	if err := promreg.Register(reg, m.rows, m.errors, m.ackErrors, m.fetchErrors, m.badData,
		m.batchRows, m.insertTime, m.lag, m.retrying, m.analyticsDenied, m.erased); err != nil {
		return nil, fmt.Errorf("chsink: %w", err)
	}
	return m, nil
}
