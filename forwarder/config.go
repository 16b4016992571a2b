package forwarder

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/ssrf"
)

// Config is the `forwarder:` section of the bridge configuration. Durations
// are Go duration strings ("5s", "10h").
type Config struct {
	// RetrySchedule is the wait before each retry; a delivery gets
	// len(RetrySchedule)+1 attempts, then goes to the dead letters.
	RetrySchedule []string `yaml:"retry_schedule"`
	// RetryJitter spreads each wait by ±this fraction. Default 0.1.
	RetryJitter float64 `yaml:"retry_jitter"`
	// MaxRetryAfter caps how long an endpoint's Retry-After may delay a retry. Default "1h".
	MaxRetryAfter string `yaml:"max_retry_after"`
	// Timeout bounds one attempt (connect, request, response). Default "15s".
	Timeout string `yaml:"timeout"`
	// AllowedPrivateTargets are CIDRs exempt from the SSRF guard.
	AllowedPrivateTargets []string `yaml:"allowed_private_targets"`
	// ProxyURL is the default forward proxy (http://[user:pass@]host:port,
	// HTTP CONNECT) of endpoints without a proxy_url of their own; empty:
	// direct. It is the operator's and may be private (egress.go).
	ProxyURL string `yaml:"proxy_url"`
	// FastPathBudget: the fan-out makes the first attempt of a delivery to a
	// healthy webhook endpoint itself, without writing it to the durable
	// queue, if that attempt can start and finish within this budget; past
	// it the delivery is handed to the queue (see README). "0s" sends every
	// delivery through the queue. Default "1s".
	FastPathBudget string `yaml:"fast_path_budget"`
	// FastPathCooldown is how long an endpoint stays off the fast path after
	// a retryable failure or while its average attempt latency exceeds the budget. Default "30s".
	FastPathCooldown string `yaml:"fast_path_cooldown"`
	// Concurrency is how many attempts may run at once per endpoint. Default 8.
	Concurrency int `yaml:"concurrency"`
	// MaxResponseBytes is how much of a response body is read. Default 65536.
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
	// MaxLoggedBodyBytes caps request and response bodies stored in the
	// deliveries table. Default 16384.
	MaxLoggedBodyBytes int `yaml:"max_logged_body_bytes"`
	// MaxQueuedPerEndpoint bounds each endpoint's durable queue; deliveries
	// beyond it are dropped and counted in
	// bridge_forwarder_enqueue_dropped_total. Default 1,000,000.
	MaxQueuedPerEndpoint int64 `yaml:"max_queued_per_endpoint"`
	// QueueMaxBytes bounds the whole delivery stream. Default 4 GiB.
	QueueMaxBytes int64 `yaml:"queue_max_bytes"`
	// DedupWindow is how long an (endpoint, event) pair is remembered by the
	// delivery queue so that a re-read log segment enqueues nothing twice. Default "1h".
	DedupWindow string `yaml:"dedup_window"`
	// DeadLetterTTL is how long dead deliveries are kept for manual retry. Default "720h".
	DeadLetterTTL string `yaml:"dead_letter_ttl"`
	// CAPIBatchSize is the most events per Conversions API request (≤ 1000). Default 500.
	CAPIBatchSize int `yaml:"capi_batch_size"`
	// CAPIBatchWait is how long a batch may wait to fill. Default "1s".
	CAPIBatchWait string `yaml:"capi_batch_wait"`
	// LogBufferRows bounds the delivery-log rows waiting for ClickHouse; rows
	// beyond it are dropped and counted in
	// bridge_forwarder_delivery_log_dropped_total. Default 100,000.
	LogBufferRows int `yaml:"log_buffer_rows"`
	// LogFlushInterval is how often delivery-log rows are written. Default "1s".
	LogFlushInterval string `yaml:"log_flush_interval"`
	// StreamPrefix names the JetStream objects: the <prefix>_DELIVERIES
	// stream and the <prefix>_DEAD_LETTERS bucket. Default "BRIDGE".
	StreamPrefix string `yaml:"stream_prefix"`
	// ReaderName is the event-log cursor of the fan-out. Default "forwarder".
	ReaderName string `yaml:"reader_name"`

	// Endpoints are the declarative endpoints. The bridge fills them from the
	// top-level `endpoints:` key; they are not read from `forwarder:`.
	Endpoints []endpoint.Endpoint `yaml:"-"`
}

// NewDefaultConfig returns the documented defaults.
func NewDefaultConfig() Config {
	return Config{
		RetrySchedule:        []string{"5s", "5m", "30m", "2h", "5h", "10h", "10h"},
		RetryJitter:          0.1,
		MaxRetryAfter:        "1h",
		Timeout:              "15s",
		FastPathBudget:       "1s",
		FastPathCooldown:     "30s",
		Concurrency:          8,
		MaxResponseBytes:     64 << 10,
		MaxLoggedBodyBytes:   16 << 10,
		MaxQueuedPerEndpoint: 1_000_000,
		QueueMaxBytes:        4 << 30,
		DedupWindow:          "1h",
		DeadLetterTTL:        "720h",
		CAPIBatchSize:        500,
		CAPIBatchWait:        "1s",
		LogBufferRows:        100_000,
		LogFlushInterval:     "1s",
		StreamPrefix:         "BRIDGE",
		ReaderName:           "forwarder",
	}
}

// settings is Config with durations parsed.
type parsed struct {
	schedule      []time.Duration
	maxRetryAfter time.Duration
	timeout       time.Duration
	dedup         time.Duration
	deadTTL       time.Duration
	capiWait      time.Duration
	logFlush      time.Duration
	fastBudget    time.Duration
	fastCooldown  time.Duration
	proxy         *url.URL // nil: direct
}

func parseDur(key, s string, min time.Duration, errs *[]error) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		*errs = append(*errs, fmt.Errorf("%s: %q is not a duration like \"5s\"", key, s))
		return 0
	}
	if d < min {
		*errs = append(*errs, fmt.Errorf("%s: %s is below the minimum %s", key, d, min))
	}
	return d
}

func (c *Config) parse() (parsed, error) {
	var p parsed
	var errs []error
	for i, s := range c.RetrySchedule {
		p.schedule = append(p.schedule, parseDur(fmt.Sprintf("retry_schedule[%d]", i), s, 0, &errs))
	}
	if len(c.RetrySchedule) > 100 {
		errs = append(errs, errors.New("retry_schedule: at most 100 entries"))
	}
	if c.RetryJitter < 0 || c.RetryJitter > 0.5 {
		errs = append(errs, fmt.Errorf("retry_jitter: %v is not within 0 to 0.5", c.RetryJitter))
	}
	p.maxRetryAfter = parseDur("max_retry_after", c.MaxRetryAfter, 0, &errs)
	p.timeout = parseDur("timeout", c.Timeout, 100*time.Millisecond, &errs)
	p.dedup = parseDur("dedup_window", c.DedupWindow, time.Second, &errs)
	p.deadTTL = parseDur("dead_letter_ttl", c.DeadLetterTTL, time.Minute, &errs)
	p.capiWait = parseDur("capi_batch_wait", c.CAPIBatchWait, time.Millisecond, &errs)
	p.logFlush = parseDur("log_flush_interval", c.LogFlushInterval, time.Millisecond, &errs)
	p.fastBudget = parseDur("fast_path_budget", c.FastPathBudget, 0, &errs)
	p.fastCooldown = parseDur("fast_path_cooldown", c.FastPathCooldown, 0, &errs)
	if p.fastBudget > 0 && p.timeout > 0 && p.fastBudget > p.timeout {
		errs = append(errs, fmt.Errorf("fast_path_budget: %s is longer than timeout %s", p.fastBudget, p.timeout))
	}
	if _, err := ssrf.New(c.AllowedPrivateTargets); err != nil {
		errs = append(errs, fmt.Errorf("allowed_private_targets: %w", err))
	}
	p.proxy = parseProxy(c.ProxyURL, &errs)
	if c.Concurrency < 1 || c.Concurrency > 1024 {
		errs = append(errs, fmt.Errorf("concurrency: %d is not within 1 to 1024", c.Concurrency))
	}
	if c.MaxResponseBytes < 1 {
		errs = append(errs, errors.New("max_response_bytes: must be positive"))
	}
	if c.MaxLoggedBodyBytes < 0 {
		errs = append(errs, errors.New("max_logged_body_bytes: must not be negative"))
	}
	if c.MaxQueuedPerEndpoint < 1 {
		errs = append(errs, errors.New("max_queued_per_endpoint: must be positive"))
	}
	if c.QueueMaxBytes < 1<<20 {
		errs = append(errs, errors.New("queue_max_bytes: at least 1048576"))
	}
	if c.CAPIBatchSize < 1 || c.CAPIBatchSize > 1000 {
		errs = append(errs, fmt.Errorf("capi_batch_size: %d is not within 1 to 1000", c.CAPIBatchSize))
	}
	if c.LogBufferRows < 1 {
		errs = append(errs, errors.New("log_buffer_rows: must be positive"))
	}
	if c.StreamPrefix == "" || !validToken(c.StreamPrefix) {
		errs = append(errs, fmt.Errorf("stream_prefix: %q: want letters, digits, '_' or '-'", c.StreamPrefix))
	}
	if c.ReaderName == "" || !validToken(c.ReaderName) {
		errs = append(errs, fmt.Errorf("reader_name: %q: want letters, digits, '_' or '-'", c.ReaderName))
	}
	return p, errors.Join(errs...)
}

// Validate reports every problem of the forwarder section, each naming its
// key. Endpoints are checked by endpoint.Validate (internal/endpoint).
func (c *Config) Validate() error {
	_, err := c.parse()
	return err
}

func validToken(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
