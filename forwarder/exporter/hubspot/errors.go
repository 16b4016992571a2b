package hubspot

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/popinbridge/bridge/internal/retry"
)

// ErrNoIdentity refuses an event without an e-mail: HubSpot contacts are
// identified by e-mail here, so such an event is never sent (nor retried).
var ErrNoIdentity = errors.New("hubspot: no identity: the event has no e-mail address; not sent")

// Fallback pauses after a 429 that names no wait: HubSpot's burst limit
// is a rolling ten seconds; its daily limit resets at midnight (the pause
// is bounded by forwarder.max_retry_after).
const (
	burstWait = 10 * time.Second
	dailyWait = time.Hour
)

// Error is HubSpot's answer to a failed request (its error JSON, or the
// failures of a 207 multi-status answer).
type Error struct {
	Status    int    `json:"-"`
	Message   string `json:"message"`
	Category  string `json:"category"`
	Policy    string `json:"policyName"`
	NumErrors int    `json:"numErrors"`
	Errors    []struct {
		Message  string `json:"message"`
		Category string `json:"category"`
	} `json:"errors"`
}

func (e *Error) Error() string {
	s := fmt.Sprintf("hubspot: HTTP %d", e.Status)
	if e.Category != "" {
		s += " " + e.Category
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if len(e.Errors) > 0 {
		first := e.Errors[0]
		s += fmt.Sprintf(" (%d failed; first: %s %s)", max(e.NumErrors, len(e.Errors)), first.Category, first.Message)
	}
	return s
}

// parseError reads a HubSpot answer; a body that is not HubSpot's JSON
// gives an Error with only the status.
func parseError(status int, body []byte) *Error {
	e := &Error{}
	if json.Unmarshal(body, e) != nil {
		e = &Error{}
	}
	e.Status = status
	e.Message = clip(e.Message, 300)
	return e
}

// classify turns an answer into the attempt's error: nil for 200/201 (and
// a 207 without failures); a 207 with failures, 400, 409 and other 4xx
// (401/403: a bad or revoked token, a missing scope) permanent — a batch
// refused permanently is then sent one event at a time by the pipeline, so
// only the bad events fail; 429 and 5xx retryable, with the wait of a 429:
// Retry-After, else X-HubSpot-RateLimit-Interval-Milliseconds, else 10 s
// (1 h for the daily limit). err is httpsend's classification (network
// errors, the SSRF guard), kept when no answer came.
func classify(status int, h http.Header, body []byte, err error) (error, time.Duration) {
	if status == 0 {
		return err, 0
	}
	if status == http.StatusMultiStatus {
		e := parseError(status, body)
		if e.NumErrors == 0 && len(e.Errors) == 0 {
			return nil, 0
		}
		e.Category = "MULTI_STATUS"
		return retry.Permanent(e), 0
	}
	if status >= 200 && status <= 299 {
		return nil, 0
	}
	e := parseError(status, body)
	switch {
	case status == http.StatusTooManyRequests:
		return e, rateLimitWait(h, e.Policy, time.Now())
	case status >= 500, status == http.StatusRequestTimeout:
		return e, retry.ParseRetryAfter(h.Get("Retry-After"), time.Now())
	}
	return retry.Permanent(e), 0
}

// rateLimitWait is how long a 429 asks the endpoint to wait.
func rateLimitWait(h http.Header, policy string, now time.Time) time.Duration {
	if d := retry.ParseRetryAfter(h.Get("Retry-After"), now); d > 0 {
		return d
	}
	if ms, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds")), 10, 64); err == nil && ms > 0 && ms <= 86_400_000 {
		return time.Duration(ms) * time.Millisecond
	}
	if strings.EqualFold(policy, "DAILY") {
		return dailyWait
	}
	return burstWait
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
