// Package retry classifies delivery failures once (permanent or retryable)
// and computes when to try again.
package retry

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// PermanentError marks a failure that no retry can fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as permanent; nil stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err (or anything it wraps) is permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// StatusError is a non-2xx HTTP answer.
type StatusError struct {
	Code int
	// RetryAfter is the server's Retry-After, 0 when absent.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
}

// RetryableStatus is the one place HTTP statuses are classified: 408, 425,
// 429 and 5xx are worth retrying; every other non-2xx (3xx included, since
// redirects are not followed) is permanent.
func RetryableStatus(code int) bool {
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code == http.StatusTooManyRequests:
		return true
	case code >= 500 && code <= 599:
		return true
	}
	return false
}

// FromStatus turns a non-2xx answer into an error classified by
// RetryableStatus; 2xx gives nil.
func FromStatus(code int, h http.Header, now time.Time) error {
	if code >= 200 && code <= 299 {
		return nil
	}
	err := &StatusError{Code: code, RetryAfter: ParseRetryAfter(h.Get("Retry-After"), now)}
	if RetryableStatus(code) {
		return err
	}
	return Permanent(err)
}

// ParseRetryAfter reads delay-seconds or an HTTP-date (RFC 9110 §10.2.3);
// anything else, or a time in the past, gives 0.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 1<<31 {
			n = 1 << 31
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Schedule is the list of waits between attempts: Schedule[0] after the
// first failed attempt, and so on. A delivery gets len(Schedule)+1 attempts.
type Schedule struct {
	Delays []time.Duration
	// Jitter spreads each delay by ±Jitter (a fraction, e.g. 0.1).
	Jitter float64
	// MaxRetryAfter caps how far a server's Retry-After can push a retry.
	MaxRetryAfter time.Duration
}

// Next returns the wait after failed attempt number attempt (1-based) and
// whether another attempt is allowed. retryAfter, when larger than the
// scheduled delay, is honoured up to MaxRetryAfter; a retry never comes
// sooner than the schedule says (minus jitter).
func (s Schedule) Next(attempt int, retryAfter time.Duration) (time.Duration, bool) {
	if attempt < 1 || attempt > len(s.Delays) {
		return 0, false
	}
	d := s.Delays[attempt-1]
	if s.Jitter > 0 && d > 0 {
		f := 1 + s.Jitter*(2*rand.Float64()-1)
		d = time.Duration(float64(d) * f)
	}
	if retryAfter > d {
		d = min(retryAfter, max(s.MaxRetryAfter, d))
	}
	return d, true
}
