package eventlog

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/promreg"
)

type metrics struct {
	commits        *prometheus.CounterVec // result: ok | full | error
	appended       prometheus.Counter
	duplicates     prometheus.Counter
	commitLatency  prometheus.Histogram
	segmentBytes   prometheus.Histogram
	segmentEvents  prometheus.Histogram
	fullRejections prometheus.Counter
	dedupEvictions prometheus.Counter
	dedupEntries   prometheus.Gauge
	purged         prometheus.Counter
	corrupt        prometheus.Counter
	lostTail       prometheus.Counter

	dedupPersisted    prometheus.Counter
	dedupPersistFails prometheus.Counter
	siteRefusals      prometheus.Counter
	siteBytesMax      prometheus.Gauge
	// bytes and maxBytes are the log's size (as of the last purge pass)
	// and max_bytes: their ratio is how full the log is.
	bytes    prometheus.Gauge
	maxBytes prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		commits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_eventlog_commits_total",
			Help: "Segments the committer tried to write, by result (ok, full, error).",
		}, []string{"result"}),
		appended: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_eventlog_events_appended_total",
			Help: "Events durably appended to the log (duplicates excluded).",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_eventlog_duplicates_skipped_total",
			Help: "Appended events not written again because their ID was already committed or in flight.",
		}),
		commitLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "bridge_eventlog_commit_latency_seconds",
			Help:    "Time from sealing a segment to its fsynced acknowledgement.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		segmentBytes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "bridge_eventlog_segment_bytes",
			Help:    "Encoded size of written segments.",
			Buckets: prometheus.ExponentialBuckets(256, 4, 9),
		}),
		segmentEvents: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "bridge_eventlog_segment_events",
			Help:    "Events per written segment.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}),
		fullRejections: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_eventlog_full_rejections_total",
			Help: "Appends refused because the log reached max_bytes.",
		}),
		dedupEvictions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_eventlog_dedup_evictions_total",
			Help: "Event IDs dropped from the dedup index for room before their window ended.",
		}),
		dedupEntries: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bridge_eventlog_dedup_entries",
			Help: "Event IDs currently held by the dedup index.",
		}),
		purged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_eventlog_purged_segments_total",
			Help: "Segments removed by retention after every reader acked them.",
		}),
		corrupt: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_eventlog_corrupt_segments_total",
			Help: "Segments that could not be decoded and were terminated.",
		}),
		lostTail: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_eventlog_lost_tail_segments_total",
			Help: "Segments the store lost from the end of the log when it recovered (a torn or damaged tail it cut), found at start from their persisted dedup keys.",
		}),
		dedupPersisted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_eventlog_dedup_persisted_keys_total",
			Help: "Event IDs written to the dedup key stream.",
		}),
		dedupPersistFails: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_eventlog_dedup_persist_failures_total",
			Help: "Event IDs not written to the dedup key stream (queue full or write failed); their segments are kept for the dedup window.",
		}),
		siteRefusals: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bridge_eventlog_site_share_rejections_total",
			Help: "Appends refused because a site held its share of max_bytes (site_max_share).",
		}),
		siteBytesMax: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bridge_eventlog_site_bytes_max",
			Help: "Bytes of unpurged events held by the site holding the most (as of the last purge pass).",
		}),
		bytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bridge_eventlog_bytes",
			Help: "Bytes the log holds (as of the last purge pass); appends are refused at bridge_eventlog_max_bytes.",
		}),
		maxBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bridge_eventlog_max_bytes",
			Help: "The log's max_bytes.",
		}),
	}
	if err := promreg.Register(reg, m.commits, m.appended, m.duplicates, m.commitLatency,
		m.segmentBytes, m.segmentEvents, m.fullRejections, m.dedupEvictions, m.dedupEntries, m.purged, m.corrupt, m.lostTail,
		m.dedupPersisted, m.dedupPersistFails, m.siteRefusals, m.siteBytesMax, m.bytes, m.maxBytes); err != nil {
		return nil, fmt.Errorf("eventlog: %w", err)
	}
	for _, r := range []string{"ok", "full", "error"} { // at 0 before the first
		m.commits.WithLabelValues(r)
	}
	return m, nil
}
