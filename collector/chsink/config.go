package chsink

import (
	"errors"
	"fmt"
	"time"
)

// Config is the `clickhouse_sink:` section of the bridge configuration.
type Config struct {
	// BatchSize: insert once this many rows are buffered (default 100000,
	// the top of ClickHouse's 10k–100k rows-per-insert advice). A batch may
	// exceed it by at most one fetch of segments.
	BatchSize int `yaml:"batch_size"`
	// BatchBytes: insert once the buffered rows hold this many bytes
	// (default 33554432 = 32 MiB), whichever of the two limits comes first.
	// It bounds memory for large events: about (insert_concurrency+1) ×
	// batch_bytes buffered, plus the driver's copy of the batches being sent.
	BatchBytes int `yaml:"batch_bytes"`
	// FlushInterval: insert buffered rows at the latest this long after the
	// first of them was read (default 1s), or as soon as an inserter is free
	// after that: while every inserter is busy the batch keeps filling up
	// to its limits, so a loaded sink makes fewer, larger inserts (about
	// one per second per inserter, as ClickHouse advises).
	FlushInterval time.Duration `yaml:"flush_interval"`
	// FetchSegments is the most segments asked from the log at once (default 64).
	FetchSegments int `yaml:"fetch_segments"`
	// InsertConcurrency is how many batches may be inserted at once
	// (default 2): one is encoded while the server writes another.
	InsertConcurrency int `yaml:"insert_concurrency"`
	// InsertTimeout bounds one insert attempt (default 30s).
	InsertTimeout time.Duration `yaml:"insert_timeout"`
	// RetryInitialBackoff and RetryMaxBackoff bound the wait between failed
	// insert (or fetch) attempts, doubling from the first to the second, each
	// wait jittered down by up to half (defaults 250ms, 10s). Attempts
	// continue until success or Shutdown.
	RetryInitialBackoff time.Duration `yaml:"retry_initial_backoff"`
	RetryMaxBackoff     time.Duration `yaml:"retry_max_backoff"`
}

// NewDefaultConfig returns the documented defaults.
func NewDefaultConfig() Config {
	return Config{
		BatchSize:           100_000,
		BatchBytes:          32 << 20,
		FlushInterval:       time.Second,
		FetchSegments:       64,
		InsertConcurrency:   2,
		InsertTimeout:       30 * time.Second,
		RetryInitialBackoff: 250 * time.Millisecond,
		RetryMaxBackoff:     10 * time.Second,
	}
}

// Validate reports every problem at once, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	if c.BatchSize < 1 || c.BatchSize > 1_000_000 {
		errs = append(errs, fmt.Errorf("clickhouse_sink.batch_size: %d must be between 1 and 1000000", c.BatchSize))
	}
	if c.BatchBytes < 1<<10 || c.BatchBytes > 1<<30 {
		errs = append(errs, fmt.Errorf("clickhouse_sink.batch_bytes: %d must be between 1024 and 1073741824", c.BatchBytes))
	}
	if c.FlushInterval <= 0 {
		errs = append(errs, fmt.Errorf("clickhouse_sink.flush_interval: %v must be positive", c.FlushInterval))
	}
	if c.FetchSegments < 1 {
		errs = append(errs, fmt.Errorf("clickhouse_sink.fetch_segments: %d must be at least 1", c.FetchSegments))
	}
	if c.InsertConcurrency < 1 || c.InsertConcurrency > 16 {
		errs = append(errs, fmt.Errorf("clickhouse_sink.insert_concurrency: %d must be between 1 and 16", c.InsertConcurrency))
	}
	if c.InsertTimeout <= 0 {
		errs = append(errs, fmt.Errorf("clickhouse_sink.insert_timeout: %v must be positive", c.InsertTimeout))
	}
	if c.RetryInitialBackoff <= 0 {
		errs = append(errs, fmt.Errorf("clickhouse_sink.retry_initial_backoff: %v must be positive", c.RetryInitialBackoff))
	}
	if c.RetryMaxBackoff < c.RetryInitialBackoff {
		errs = append(errs, errors.New("clickhouse_sink.retry_max_backoff: must be at least retry_initial_backoff"))
	}
	return errors.Join(errs...)
}
