package consentstore

import (
	"errors"
	"fmt"
	"time"
)

// Config is the `consent_store:` section.
type Config struct {
	// Bucket is the JetStream KV bucket every node shares.
	Bucket string `yaml:"bucket"`
	// TTL is how long a consent is remembered after it was last written.
	TTL time.Duration `yaml:"ttl"`
	// MaxBytes bounds the bucket.
	MaxBytes int64 `yaml:"max_bytes"`
	// Replicas of the bucket in a clustered JetStream; 0 (default) follows
	// event_log.replicas.
	Replicas int `yaml:"replicas"`
	// Queue bounds the writes waiting for the worker.
	Queue int `yaml:"queue"`
	// CacheEntries bounds the keys this node remembers having written.
	CacheEntries int `yaml:"cache_entries"`
	// CacheTTL is how long a remembered key saves a bucket read.
	CacheTTL time.Duration `yaml:"cache_ttl"`
}

// NewDefaultConfig returns the defaults.
func NewDefaultConfig() Config {
	return Config{
		Bucket:       "BRIDGE_CONSENT",
		TTL:          30 * 24 * time.Hour,
		MaxBytes:     256 << 20,
		Replicas:     0,
		Queue:        4096,
		CacheEntries: 100_000,
		CacheTTL:     5 * time.Minute,
	}
}

// Validate reports every problem at once, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	if c.Bucket == "" {
		errs = append(errs, errors.New("consent_store.bucket: required"))
	}
	for _, r := range c.Bucket {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			errs = append(errs, fmt.Errorf("consent_store.bucket: %q may hold only letters, digits, '-' and '_'", c.Bucket))
			break
		}
	}
	if c.TTL < time.Hour {
		errs = append(errs, fmt.Errorf("consent_store.ttl: %v must be at least 1h", c.TTL))
	}
	if c.MaxBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("consent_store.max_bytes: %d must be at least 1048576", c.MaxBytes))
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("consent_store.replicas: %d must be between 0 (follow event_log.replicas) and 5", c.Replicas))
	}
	if c.Queue < 1 {
		errs = append(errs, fmt.Errorf("consent_store.queue: %d must be at least 1", c.Queue))
	}
	if c.CacheEntries < 1 {
		errs = append(errs, fmt.Errorf("consent_store.cache_entries: %d must be at least 1", c.CacheEntries))
	}
	if c.CacheTTL <= 0 || c.CacheTTL > c.TTL {
		errs = append(errs, fmt.Errorf("consent_store.cache_ttl: %v must be positive and at most ttl", c.CacheTTL))
	}
	return errors.Join(errs...)
}
