package ingest

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Config holds the ingest limits and timeouts. Zero values are not defaults:
// start from NewDefaultConfig.
type Config struct {
	// MaxEventsPerBatch is the most events one frame or body may carry.
	MaxEventsPerBatch int `yaml:"max_events_per_batch"`
	// MaxEventBytes is the most bytes one batch entry may take (its JSON text).
	MaxEventBytes int `yaml:"max_event_bytes"`
	// MaxBatchBytes is the most bytes of one WebSocket frame or HTTP body.
	MaxBatchBytes int `yaml:"max_batch_bytes"`
	// MaxJSONDepth is the deepest nesting of a whole frame; the frame object
	// is depth 1, the batch array 2, an event 3, its data 4.
	MaxJSONDepth int `yaml:"max_json_depth"`
	// MaxKeys is the most entries of any object or array other than the batch.
	MaxKeys int `yaml:"max_keys"`
	// MaxStringBytes is the longest string (key or value), in encoded bytes.
	MaxStringBytes int `yaml:"max_string_bytes"`
	// TrustProxy takes the client IP from the right-most X-Forwarded-For
	// entry (the address seen by the one trusted proxy in front of the
	// bridge) instead of the connection's remote address.
	TrustProxy bool `yaml:"trust_proxy"`
	// AppendTimeout bounds one eventlog Append; a timeout is "unavailable".
	AppendTimeout time.Duration `yaml:"append_timeout"`
	// RetryAfter is the hint given to clients when the log cannot take events.
	RetryAfter time.Duration `yaml:"retry_after"`

	RateLimit RateLimitConfig `yaml:"rate_limit"`
	WebSocket WebSocketConfig `yaml:"websocket"`
}

// RateLimitConfig sets token buckets counted in events. A rate of 0 disables
// that limit.
type RateLimitConfig struct {
	PerIPEventsPerSecond   float64 `yaml:"per_ip_events_per_second"`
	PerIPBurst             int     `yaml:"per_ip_burst"`
	PerSiteEventsPerSecond float64 `yaml:"per_site_events_per_second"`
	PerSiteBurst           int     `yaml:"per_site_burst"`
	// TrackedIPs bounds the LRU of per-IP limiters (memory).
	TrackedIPs int `yaml:"tracked_ips"`
}

// WebSocketConfig sets connection limits and timeouts of /v1/ws.
type WebSocketConfig struct {
	MaxConnections      int           `yaml:"max_connections"`
	MaxConnectionsPerIP int           `yaml:"max_connections_per_ip"`
	MaxInFlight         int           `yaml:"max_in_flight"` // batches being appended per connection
	HandshakeTimeout    time.Duration `yaml:"handshake_timeout"`
	PingInterval        time.Duration `yaml:"ping_interval"`
	PongWait            time.Duration `yaml:"pong_wait"` // read deadline, renewed by any frame or pong
	WriteTimeout        time.Duration `yaml:"write_timeout"`
	IdleTimeout         time.Duration `yaml:"idle_timeout"` // closes a socket that sent no batch for this long
}

// NewDefaultConfig returns the defaults of CONTRACT §5 and sensible timeouts.
func NewDefaultConfig() Config {
	return Config{
		MaxEventsPerBatch: 500,
		MaxEventBytes:     32 << 10,
		MaxBatchBytes:     512 << 10,
		MaxJSONDepth:      32,
		MaxKeys:           500,
		MaxStringBytes:    8 << 10,
		AppendTimeout:     10 * time.Second,
		RetryAfter:        5 * time.Second,
		RateLimit: RateLimitConfig{
			PerIPEventsPerSecond:   100,
			PerIPBurst:             1000,
			PerSiteEventsPerSecond: 5000,
			PerSiteBurst:           20000,
			TrackedIPs:             100000,
		},
		WebSocket: WebSocketConfig{
			MaxConnections:      10000,
			MaxConnectionsPerIP: 32,
			MaxInFlight:         4,
			HandshakeTimeout:    10 * time.Second,
			PingInterval:        30 * time.Second,
			PongWait:            75 * time.Second,
			WriteTimeout:        10 * time.Second,
			IdleTimeout:         10 * time.Minute,
		},
	}
}

// Validate reports every problem at once, each naming its key.
func (c Config) Validate() error {
	var errs []error
	pos := func(key string, v int) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be > 0, got %d", key, v))
		}
	}
	posD := func(key string, v time.Duration) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be > 0, got %s", key, v))
		}
	}
	pos("max_events_per_batch", c.MaxEventsPerBatch)
	pos("max_event_bytes", c.MaxEventBytes)
	pos("max_batch_bytes", c.MaxBatchBytes)
	pos("max_json_depth", c.MaxJSONDepth)
	pos("max_keys", c.MaxKeys)
	pos("max_string_bytes", c.MaxStringBytes)
	if c.MaxJSONDepth > 0 && c.MaxJSONDepth < 4 {
		errs = append(errs, fmt.Errorf("max_json_depth: must be >= 4 (frame, batch, event, data), got %d", c.MaxJSONDepth))
	}
	if c.MaxJSONDepth > 1000 {
		errs = append(errs, fmt.Errorf("max_json_depth: must be <= 1000, got %d", c.MaxJSONDepth))
	}
	if c.MaxEventBytes > c.MaxBatchBytes && c.MaxBatchBytes > 0 {
		errs = append(errs, fmt.Errorf("max_event_bytes: %d exceeds max_batch_bytes %d", c.MaxEventBytes, c.MaxBatchBytes))
	}
	posD("append_timeout", c.AppendTimeout)
	posD("retry_after", c.RetryAfter)

	rl := c.RateLimit
	if rl.PerIPEventsPerSecond < 0 {
		errs = append(errs, fmt.Errorf("rate_limit.per_ip_events_per_second: must be >= 0, got %g", rl.PerIPEventsPerSecond))
	}
	if rl.PerSiteEventsPerSecond < 0 {
		errs = append(errs, fmt.Errorf("rate_limit.per_site_events_per_second: must be >= 0, got %g", rl.PerSiteEventsPerSecond))
	}
	if rl.PerIPEventsPerSecond > 0 && rl.PerIPBurst < c.MaxEventsPerBatch {
		errs = append(errs, fmt.Errorf("rate_limit.per_ip_burst: must be >= max_events_per_batch (%d), got %d", c.MaxEventsPerBatch, rl.PerIPBurst))
	}
	if rl.PerSiteEventsPerSecond > 0 && rl.PerSiteBurst < c.MaxEventsPerBatch {
		errs = append(errs, fmt.Errorf("rate_limit.per_site_burst: must be >= max_events_per_batch (%d), got %d", c.MaxEventsPerBatch, rl.PerSiteBurst))
	}
	pos("rate_limit.tracked_ips", rl.TrackedIPs)

	ws := c.WebSocket
	pos("websocket.max_connections", ws.MaxConnections)
	pos("websocket.max_connections_per_ip", ws.MaxConnectionsPerIP)
	pos("websocket.max_in_flight", ws.MaxInFlight)
	posD("websocket.handshake_timeout", ws.HandshakeTimeout)
	posD("websocket.ping_interval", ws.PingInterval)
	posD("websocket.pong_wait", ws.PongWait)
	posD("websocket.write_timeout", ws.WriteTimeout)
	posD("websocket.idle_timeout", ws.IdleTimeout)
	if ws.PingInterval > 0 && ws.PongWait > 0 && ws.PongWait <= ws.PingInterval {
		errs = append(errs, fmt.Errorf("websocket.pong_wait: %s must exceed websocket.ping_interval %s", ws.PongWait, ws.PingInterval))
	}
	return errors.Join(errs...)
}

func (c Config) limits() Limits {
	return Limits{
		MaxEventsPerBatch: c.MaxEventsPerBatch,
		MaxEventBytes:     c.MaxEventBytes,
		MaxBatchBytes:     c.MaxBatchBytes,
		MaxJSONDepth:      c.MaxJSONDepth,
		MaxKeys:           c.MaxKeys,
		MaxStringBytes:    c.MaxStringBytes,
	}
}

// Timeouts are the http.Server settings recommended in front of Handler.
// WebSocket connections are hijacked and get their own deadlines, so these
// only bound plain HTTP requests (slowloris, slow bodies).
type Timeouts struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
}

// ServerTimeouts returns the recommended http.Server timeouts for the
// listener serving Handler. The wiring must apply them (Apply): a bare
// http.Server has none.
func ServerTimeouts() Timeouts {
	return Timeouts{
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// Apply sets t on s.
func (t Timeouts) Apply(s *http.Server) {
	s.ReadHeaderTimeout = t.ReadHeaderTimeout
	s.ReadTimeout = t.ReadTimeout
	s.WriteTimeout = t.WriteTimeout
	s.IdleTimeout = t.IdleTimeout
	s.MaxHeaderBytes = t.MaxHeaderBytes
}
