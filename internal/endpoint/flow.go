package endpoint

import "math"

// Bounds of the flow-control fields.
const (
	// MaxRateLimit is the highest rate_limit (requests per second).
	MaxRateLimit = 100_000
	// MaxRateBurst is the highest rate_burst.
	MaxRateBurst = 10_000
)

// Flow control of an endpoint: RateLimit requests per second at most, in
// bursts of at most Burst() after a quiet spell; Concurrency attempts at
// once (lowered by the forwarder while the endpoint answers 429).

// Limited reports whether the endpoint has a rate limit.
func (e *Endpoint) Limited() bool { return e.RateLimit > 0 }

// Burst is the rate limit's burst: RateBurst, or 1 when unset.
func (e *Endpoint) Burst() int { return max(e.RateBurst, 1) }

func (x *Endpoint) validateFlow() []error {
	var errs []error
	if math.IsNaN(x.RateLimit) || x.RateLimit < 0 || x.RateLimit > MaxRateLimit {
		errs = append(errs, fieldErr("rate_limit", "%v is not a number of requests per second from 0 (unlimited) to %d", x.RateLimit, MaxRateLimit))
	}
	switch {
	case x.RateBurst < 0 || x.RateBurst > MaxRateBurst:
		errs = append(errs, fieldErr("rate_burst", "%d is not between 0 and %d", x.RateBurst, MaxRateBurst))
	case x.RateBurst > 0 && x.RateLimit == 0:
		errs = append(errs, fieldErr("rate_burst", "only with a rate_limit"))
	}
	return errs
}
