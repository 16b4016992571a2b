package ingest

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/promreg"
)

type metrics struct {
	accepted    *prometheus.CounterVec // transport
	rejected    *prometheus.CounterVec // transport, code
	batches     *prometheus.CounterVec // transport
	refusals    *prometheus.CounterVec // transport, code
	conns       prometheus.Gauge
	connsTotal  prometheus.Counter
	appendDur   prometheus.Histogram
	appendFails *prometheus.CounterVec // reason
	gaDropped   *prometheus.CounterVec // transport
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_ingest_events_accepted_total",
			Help: "Events durably appended and acknowledged, by transport (ws, http, hook).",
		}, []string{"transport"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_ingest_events_rejected_total",
			Help: "Events rejected for good (never stored), by transport and code.",
		}, []string{"transport", "code"}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_ingest_batches_total",
			Help: "Batches (frames, bodies, webhooks) received, by transport.",
		}, []string{"transport"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_ingest_refusals_total",
			Help: "Whole requests, frames or connections refused, by transport and code.",
		}, []string{"transport", "code"}),
		conns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bridge_ingest_websocket_connections",
			Help: "Open WebSocket ingest connections.",
		}),
		connsTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_ingest_websocket_connections_total",
			Help: "WebSocket ingest connections accepted since start.",
		}),
		appendDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "bridge_ingest_append_duration_seconds",
			Help:    "Latency of event log appends made by ingest (durable, fsynced).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 15),
		}),
		appendFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_ingest_append_failures_total",
			Help: "Event log appends that failed (events kept by the client), by reason.",
		}, []string{"reason"}),
		gaDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_ingest_ga_client_id_dropped_total",
			Help: "Events whose ctx.ga_client_id was not a _ga client id (digits.digits, at most 41 bytes): the field was dropped, the event kept; by transport.",
		}, []string{"transport"}),
	}
	if err := promreg.Register(reg, m.accepted, m.rejected, m.batches, m.refusals,
		m.conns, m.connsTotal, m.appendDur, m.appendFails, m.gaDropped); err != nil {
		return nil, err
	}
	m.zero()
	return m, nil
}

// Known label values: their series exist at 0 from the start so that alerts
// on their rate have data before the first refusal.
var (
	transports    = []string{"ws", "http", "hook"}
	refusalCodes  = []Code{CodeBadKey, CodeOrigin, CodeTooLarge, CodeMalformed, CodeInvalidEvent, CodeRateLimited, CodeUnavailable}
	rejectCodes   = []Code{CodeInvalidEvent, CodeTooLarge}
	appendReasons = []string{"site_full", "full", "unavailable", "too_large", "closed", "timeout", "error"}
)

func (m *metrics) zero() {
	for _, tr := range transports {
		m.accepted.WithLabelValues(tr)
		m.batches.WithLabelValues(tr)
		m.gaDropped.WithLabelValues(tr)
		for _, c := range refusalCodes {
			m.refusals.WithLabelValues(tr, string(c))
		}
		for _, c := range rejectCodes {
			m.rejected.WithLabelValues(tr, string(c))
		}
	}
	for _, r := range appendReasons {
		m.appendFails.WithLabelValues(r)
	}
}
