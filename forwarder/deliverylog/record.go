// Package deliverylog is the forwarder's delivery log: one row per delivery
// attempt (Record), what the log keeps of an attempt's request and response
// (Policy), a bounded in-memory Buffer that writes rows in batches off the
// delivery path, and the Writer storing them in ClickHouse's deliveries
// table (NewClickHouseWriter).
package deliverylog

import (
	"context"
	"encoding/json"
	"time"
)

// Record is one attempt, one row of the ClickHouse deliveries table.
type Record struct {
	DeliveryID     string
	EventID        string
	EndpointID     string
	SiteID         string
	EventName      string
	WebhookID      string
	Attempt        int
	StatusCode     int
	OK             bool
	LatencyMS      int64
	Error          string
	AttemptedAt    time.Time // kept to the nanosecond (attempted_ns): part of the row's identity
	NextAttemptAt  time.Time // zero when none is scheduled
	Test           bool
	RequestURL     string
	RequestHeaders map[string]string // credentials redacted
	RequestBody    string
	ResponseBody   string
	State          string
	// MatchKeys are the customer-information keys an ad-platform attempt
	// sent, comma-separated (exporter.MatchKeyer); "" for other types.
	MatchKeys string
	// Trigger is what made the attempt: first, retry, manual or replay
	// (internal/delivery's Trigger*).
	Trigger string
}

// Writer stores rows, e.g. in ClickHouse (see NewClickHouseWriter).
// WriteDeliveries may fail; the Buffer retries a failed batch on its next
// flush, with exactly the same rows, and never blocks deliveries on it. A
// failure can be ambiguous (a timeout after the server stored the rows), so
// a retried batch must not add rows: the ClickHouse table collapses repeated
// attempt rows (see internal/chdb's deliveries migrations). It must not keep
// rows (the slice) after it returns: the Buffer reuses it.
type Writer interface {
	WriteDeliveries(ctx context.Context, rows []Record) error
}

// WriterFunc adapts a function to Writer.
type WriterFunc func(ctx context.Context, rows []Record) error

// WriteDeliveries implements Writer.
func (f WriterFunc) WriteDeliveries(ctx context.Context, rows []Record) error {
	return f(ctx, rows)
}

// headersJSON is how request headers are stored.
func headersJSON(h map[string]string) string {
	if len(h) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(h)
	return string(b)
}
