package controlplane

import (
	"context"
	"errors"
	"time"

	"github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/event"
)

// Engine is what the management API needs from the delivery engine (the
// forwarder). The wiring adapts the forwarder to it.
//
// Contract:
//   - Apply gets the complete set of endpoints, credentials included, once
//     after Start and again after every change, whether made on this node
//     or on another one sharing the bucket. It must not block for long.
//     Endpoints that are not Active() must receive nothing; a paused
//     endpoint's events wait, without using up retries, until it is active.
//     Signatures use Endpoint.SigningSecrets(now).
//   - Test sends ev (a sample chosen by the API, marked test) to ep now,
//     synchronously, records the attempt with test=1 in ClickHouse
//     deliveries, and returns it. Failure to reach the endpoint is an
//     Attempt with OK=false, not an error; errors mean the engine could not
//     try at all.
//   - Retry queues one new attempt of a recorded delivery (the same
//     webhook-id). A manual retry schedules no further retries.
//   - Replay queues events for delivery to ep as new deliveries.
//   - Problems names the endpoints the engine cannot use (stored by an
//     older version, or otherwise refused), with why; they receive nothing
//     while every other endpoint keeps delivering.
//
// The engine reports every attempt back to Manager.AttemptDone (a
// delivery.Observer); the lifecycle decides from them (lifecycle.go).
type Engine interface {
	Apply(endpoints []Endpoint)
	Test(ctx context.Context, ep Endpoint, ev event.Event) (Attempt, error)
	Retry(ctx context.Context, ep Endpoint, d Delivery) error
	Replay(ctx context.Context, ep Endpoint, events []event.Event) error
	Problems() map[string]string
}

// Attempt is the outcome of one delivery attempt (internal/delivery).
type Attempt = delivery.Attempt

// StateDead is the state of an attempt after which a delivery is dead.
const StateDead = delivery.StateDead

// Delivery is one recorded attempt, as stored in ClickHouse deliveries.
type Delivery struct {
	DeliveryID     string            `json:"delivery_id"`
	EventID        string            `json:"event_id"`
	EndpointID     string            `json:"endpoint_id"`
	SiteID         string            `json:"site_id"`
	EventName      string            `json:"event_name"`
	WebhookID      string            `json:"webhook_id"`
	Attempt        int               `json:"attempt"`
	StatusCode     int               `json:"status_code"`
	OK             bool              `json:"ok"`
	LatencyMS      int64             `json:"latency_ms"`
	Error          string            `json:"error"`
	AttemptedAt    time.Time         `json:"attempted_at"`
	NextAttemptAt  *time.Time        `json:"next_attempt_at,omitempty"`
	Test           bool              `json:"test"`
	State          string            `json:"state,omitempty"`
	RequestURL     string            `json:"request_url,omitempty"`
	RequestHeaders map[string]string `json:"request_headers,omitempty"`
	RequestBody    string            `json:"request_body,omitempty"`
	ResponseBody   string            `json:"response_body,omitempty"`
	// MatchKeys: the customer-information keys an ad-platform attempt sent
	// (Conversions API, TikTok), e.g. "em,ph,ip,ua,fbp"; absent otherwise.
	MatchKeys string `json:"match_keys,omitempty"`
	// Trigger: what made the attempt — first, retry (scheduled), manual (a
	// manual retry of a dead delivery) or replay; absent for attempts
	// logged before the forwarder recorded it.
	Trigger string `json:"trigger,omitempty"`
}

// DeliveryQuery selects attempts of one endpoint, newest first.
type DeliveryQuery struct {
	EndpointID string
	// Status: "" (all), "ok", "failed", or a status code like "500".
	Status    string
	EventName string
	From, To  time.Time // zero: unbounded; From inclusive, To exclusive
	Cursor    string    // opaque, from the previous page
	Limit     int
}

// Stats is the health of one endpoint over a window.
type Stats struct {
	Window        string            `json:"window"`
	Attempts      uint64            `json:"attempts"`
	Succeeded     uint64            `json:"succeeded"`
	Failed        uint64            `json:"failed"`
	SuccessRate   float64           `json:"success_rate"`
	P50MS         float64           `json:"p50_ms"`
	P95MS         float64           `json:"p95_ms"`
	Counts        map[string]uint64 `json:"counts"`         // by status class: 2xx, 3xx, 4xx, 5xx, error
	ByStatusCode  map[string]uint64 `json:"by_status_code"` // "200", "500", "0" (no answer)
	LastSuccessAt *time.Time        `json:"last_success_at"`
	LastFailureAt *time.Time        `json:"last_failure_at"`
	Series        []StatsBucket     `json:"series"`
	// Flow is the endpoint's live flow control on the node that answers
	// (not from ClickHouse; see FlowReporter).
	Flow *Flow `json:"flow,omitempty"`
}

// StatsBucket is one slice of the window, for the health chart.
type StatsBucket struct {
	Start     time.Time `json:"start"`
	Succeeded uint64    `json:"succeeded"`
	Failed    uint64    `json:"failed"`
	P95MS     float64   `json:"p95_ms"`
}

// History reads what the forwarder recorded in ClickHouse. ClickHouseHistory
// implements it.
type History interface {
	Deliveries(ctx context.Context, q DeliveryQuery) (list []Delivery, nextCursor string, err error)
	// Delivery returns every attempt of a delivery, oldest first, or
	// ErrNotFound.
	Delivery(ctx context.Context, deliveryID string) ([]Delivery, error)
	// FailedSince returns, per event, the latest attempt of deliveries to
	// the endpoint that failed at or after since and have not succeeded
	// since (tests excluded), at most limit.
	FailedSince(ctx context.Context, endpointID string, since time.Time, limit int) ([]Delivery, error)
	Stats(ctx context.Context, endpointID string, window time.Duration, now time.Time) (Stats, error)
	// Events returns stored events of a site received in [from, to),
	// oldest first, at most limit, and whether more were left out.
	Events(ctx context.Context, siteID string, from, to time.Time, limit int) ([]event.Event, bool, error)
}

// ErrNotFound is returned by History and Store for unknown ids.
var ErrNotFound = errors.New("not found")
