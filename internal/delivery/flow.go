package delivery

import "time"

// Flow is an endpoint's flow control as one node of the forwarder applies
// it now (it is live state, not stored): what the endpoint's health shows.
type Flow struct {
	// Concurrency is how many attempts may run at once now: the configured
	// MaxConcurrency, lowered while the endpoint answers 429.
	Concurrency    int `json:"concurrency"`
	MaxConcurrency int `json:"max_concurrency"`
	// RateLimit is the endpoint's rate_limit (requests per second across
	// the cluster; 0: unlimited) and RateBurst its burst.
	RateLimit float64 `json:"rate_limit"`
	RateBurst int     `json:"rate_burst,omitempty"`
	// NodeRateLimit is this node's share of RateLimit (RateLimit / Nodes).
	NodeRateLimit float64 `json:"node_rate_limit,omitempty"`
	// Nodes is how many forwarder nodes this node counts as live.
	Nodes int `json:"nodes"`
	// QueueDepth is how many deliveries wait in the endpoint's durable queue
	// or are being attempted from it (measured every few seconds).
	QueueDepth uint64 `json:"queue_depth"`
	// PausedUntil is set while the endpoint waits out a Retry-After.
	PausedUntil *time.Time `json:"paused_until,omitempty"`
}
