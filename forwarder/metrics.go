package forwarder

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/promreg"
)

type metrics struct {
	attempts     *prometheus.CounterVec
	successes    *prometheus.CounterVec
	failures     *prometheus.CounterVec
	deadLetters  *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	queueDepth   *prometheus.GaugeVec
	enqueued     *prometheus.CounterVec
	enqueueDrops *prometheus.CounterVec
	fanoutErrors prometheus.Counter
	// paused is 1 while an endpoint waits out a Retry-After (pause.go).
	paused *prometheus.GaugeVec
	// concurrency is the effective concurrency (adapt.go); rateLimit this
	// node's share of the rate limit (ratelimit.go).
	concurrency *prometheus.GaugeVec
	rateLimit   *prometheus.GaugeVec
	// suppressed counts deliveries not made for want of consent.
	suppressed *prometheus.CounterVec
	// filtered counts deliveries not made because the endpoint's filter
	// rejected the event.
	filtered *prometheus.CounterVec
	// invalidEndpoints is 1 for each endpoint SetEndpoints left out.
	invalidEndpoints *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	ep := []string{"endpoint"}
	m := &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bridge_forwarder_attempts_total",
			Help: "Delivery attempts per endpoint (test attempts excluded)."}, ep),
		successes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bridge_forwarder_successes_total",
			Help: "Successful delivery attempts per endpoint."}, ep),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bridge_forwarder_failures_total",
			Help: "Failed delivery attempts per endpoint, by kind (retryable, permanent, ssrf)."}, []string{"endpoint", "kind"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bridge_forwarder_dead_letters_total",
			Help: "Deliveries moved to the dead letters per endpoint."}, ep),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "bridge_forwarder_attempt_duration_seconds",
			Help: "Duration of delivery attempts per endpoint.", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 14)}, ep),
		queueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bridge_forwarder_queue_depth",
			Help: "Deliveries waiting or being retried per endpoint."}, ep),
		enqueued: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bridge_forwarder_enqueued_total",
			Help: "Deliveries put in the durable queue per endpoint."}, ep),
		enqueueDrops: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bridge_forwarder_enqueue_dropped_total",
			Help: "Deliveries not enqueued, by reason (queue_full, disabled)."}, []string{"endpoint", "reason"}),
		fanoutErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "bridge_forwarder_fanout_errors_total",
			Help: "Log segments whose deliveries could not be enqueued (the segment is retried)."}),
		paused: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bridge_forwarder_endpoint_paused",
			Help: "1 while an endpoint waits out the Retry-After of a 429 or 503: nothing is sent to it meanwhile."}, ep),
		concurrency: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bridge_forwarder_endpoint_concurrency",
			Help: "Attempts an endpoint may have at once now: its concurrency, halved by 429 answers and recovering after successes."}, ep),
		rateLimit: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bridge_forwarder_endpoint_rate_limit",
			Help: "Requests per second this node lets start to an endpoint (its share of rate_limit); 0 is unlimited."}, ep),
		suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bridge_forwarder_suppressed_total",
			Help: "Deliveries not made because the event's consent does not allow a purpose the endpoint needs, by endpoint and purpose; purpose erased: the event's person is on the suppression list."}, []string{"endpoint", "purpose"}),
		filtered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bridge_forwarder_filtered_total",
			Help: "Deliveries not made because the endpoint's filter rejected the event."}, ep),
		invalidEndpoints: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bridge_forwarder_endpoints_invalid",
			Help: "1 for each endpoint that does not validate and receives nothing; every other endpoint keeps delivering."}, ep),
	}
	if err := promreg.Register(reg, m.attempts, m.successes, m.failures, m.deadLetters, m.latency, m.queueDepth,
		m.enqueued, m.enqueueDrops, m.fanoutErrors, m.paused, m.concurrency, m.rateLimit, m.suppressed, m.filtered, m.invalidEndpoints); err != nil {
		return nil, fmt.Errorf("forwarder metrics: %w", err)
	}
	return m, nil
}

// endpointMetrics are an endpoint's metric children, looked up once (not
// per attempt).
type endpointMetrics struct {
	attempts  prometheus.Counter
	successes prometheus.Counter
	latency   prometheus.Observer
}

func (m *metrics) forEndpoint(id string) *endpointMetrics {
	return &endpointMetrics{
		attempts:  m.attempts.WithLabelValues(id),
		successes: m.successes.WithLabelValues(id),
		latency:   m.latency.WithLabelValues(id),
	}
}

// Label values of the per-endpoint counters, all created at zero.
var (
	failureKinds = []string{"retryable", "permanent", "ssrf"}
	dropReasons  = []string{"queue_full", "disabled"}
)

// zero creates an endpoint's series at 0 when it is applied, so that
// rate() and increase() alerts have data before the first failure.
func (m *metrics) zero(id string) {
	m.attempts.WithLabelValues(id)
	m.successes.WithLabelValues(id)
	m.deadLetters.WithLabelValues(id)
	m.enqueued.WithLabelValues(id)
	m.latency.WithLabelValues(id)
	m.queueDepth.WithLabelValues(id) // the runner measures it next
	m.paused.WithLabelValues(id)
	m.filtered.WithLabelValues(id)
	m.concurrency.WithLabelValues(id) // the runner sets it when it starts
	m.rateLimit.WithLabelValues(id)
	for _, k := range failureKinds {
		m.failures.WithLabelValues(id, k)
	}
	for _, r := range dropReasons {
		m.enqueueDrops.WithLabelValues(id, r)
	}
}

// drop deletes every series of a removed endpoint.
func (m *metrics) drop(id string) {
	l := prometheus.Labels{"endpoint": id}
	for _, v := range []interface{ DeletePartialMatch(prometheus.Labels) int }{
		m.attempts, m.successes, m.failures, m.deadLetters, m.latency, m.queueDepth, m.enqueued, m.enqueueDrops, m.paused, m.filtered,
		m.concurrency, m.rateLimit,
	} {
		v.DeletePartialMatch(l)
	}
}
