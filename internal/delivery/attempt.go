// Package delivery holds what the forwarder reports about its work and the
// control plane reacts to: the outcome of one delivery attempt and the
// states a delivery goes through.
package delivery

import "time"

// States of a delivery, recorded with each attempt.
const (
	StateDelivered = "delivered" // the attempt succeeded
	StateRetrying  = "retrying"  // failed; another attempt is scheduled
	StateDead      = "dead"      // failed for good; kept in the dead letters
	StateDisabled  = "disabled"  // 410 Gone: the endpoint asked not to be sent to again
	StateTest      = "test"      // a test attempt (management API)
	// StateSuppressed: not sent, because the event's consent does not
	// allow a purpose the endpoint needs; never retried.
	StateSuppressed = "suppressed"
)

// Triggers: what made an attempt, recorded with each attempt. A replay
// starts a delivery's attempt numbers again at 1 and a manual retry
// continues them, so the number alone does not tell.
const (
	TriggerFirst  = "first"  // the delivery's first attempt (and test sends)
	TriggerRetry  = "retry"  // a scheduled retry after a failed attempt
	TriggerManual = "manual" // a manual retry of a dead delivery (retry, retry-failed)
	TriggerReplay = "replay" // sent again by a replay of a time range
)

// Attempt is the outcome of one delivery attempt.
type Attempt struct {
	DeliveryID    string    `json:"delivery_id,omitempty"`
	EndpointID    string    `json:"endpoint_id"`
	EventID       string    `json:"event_id,omitempty"`
	EventName     string    `json:"event_name,omitempty"`
	WebhookID     string    `json:"webhook_id,omitempty"`
	Attempt       int       `json:"attempt"`
	OK            bool      `json:"ok"`
	StatusCode    int       `json:"status_code"`
	LatencyMS     int64     `json:"latency_ms"`
	Error         string    `json:"error,omitempty"`
	AttemptedAt   time.Time `json:"attempted_at"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	State         string    `json:"state,omitempty"`
	Test          bool      `json:"test"`
	ResponseBody  string    `json:"response_body,omitempty"`
	// MatchKeys: the customer-information keys an ad-platform attempt sent
	// ("em,ph,fbp,ip,ua"); empty for other types.
	MatchKeys string `json:"match_keys,omitempty"`
	// Trigger: what made this attempt (TriggerFirst, TriggerRetry,
	// TriggerManual, TriggerReplay).
	Trigger string `json:"trigger,omitempty"`
	// Unsent: the forwarder refused the item before making any request
	// (the destination would never accept it, e.g. a HubSpot lead without
	// an e-mail): a failure of the input, not of the endpoint, so the
	// lifecycle does not count it against the endpoint's health.
	Unsent bool `json:"-"`
}

// Observer is told about every attempt the forwarder makes. AttemptDone
// must not block: an implementation queues what it needs (bounded) and
// returns.
type Observer interface {
	AttemptDone(a Attempt)
}
