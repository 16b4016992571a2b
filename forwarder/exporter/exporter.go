// Package exporter is the last stage of the forwarder's pipeline (log
// fan-out → per-endpoint queue → retry → timeout → exporter): what a
// destination type implements. Each type is a package of its own
// (exporter/webhook, exporter/capi); a new destination is a new exporter,
// not a new branch in the pipeline.
package exporter

import (
	"context"
	"net/http"
	"time"

	"github.com/popinbridge/bridge/internal/event"
)

// Item is one event to deliver, with the webhook id it keeps on every
// attempt.
type Item struct {
	WebhookID string
	Event     *event.Event
}

// Exporter delivers to one endpoint. It is built from the endpoint's
// declaration and is immutable; Export is safe for concurrent use.
type Exporter interface {
	// Wants reports whether events of this name go to the destination at
	// all (e.g. only names the Conversions API maps to a Meta event).
	Wants(name string) bool
	// MaxBatch is the most items one Export takes; 1 means one request per
	// event (such exporters may get first attempts on the fast path).
	MaxBatch() int
	// Check returns a permanent error (retry.Permanent) for an item the
	// destination will never accept, nil otherwise. The pipeline checks
	// each item before Export and does not send refused ones.
	Check(it Item, now time.Time) error
	// Export makes one attempt for items (1 ≤ len ≤ MaxBatch), within
	// ctx's deadline (the pipeline's per-attempt timeout), and classifies
	// its outcome once.
	Export(ctx context.Context, items []Item) Result
}

// Sampler is implemented by exporters that only take some event names: the
// name of an event a test send should use.
type Sampler interface {
	SampleName() string
}

// MatchKeyer is implemented by exporters that send customer information
// for matching (Conversions API, TikTok): MatchKeys names the keys an
// event's request carries, comma-separated in a fixed order ("em,ph,fbp,
// ip,ua"), for the delivery log's match_keys, so a site can see why a
// platform's match quality is low.
type MatchKeyer interface {
	MatchKeys(ev *event.Event) string
}

// Result is the outcome of one attempt.
type Result struct {
	// StatusCode is the HTTP status, 0 when no answer came.
	StatusCode int
	// Err is nil when the attempt delivered; retry.IsPermanent(Err) when no
	// retry can fix it; otherwise the attempt is worth retrying.
	Err     error
	Latency time.Duration
	// RetryAfter is the destination's Retry-After, 0 when absent.
	RetryAfter time.Duration
	// Gone: the destination answered 410 Gone, asking not to be sent to
	// again (the control plane's lifecycle decides).
	Gone bool
	// Request is what was sent, for the delivery log.
	Request Request
	// ResponseBody is the start of the answer (bounded by the client).
	ResponseBody []byte
	// ResponseHeader is the answer's header (nil when none came), for
	// exporters that read rate-limit headers; it is not logged.
	ResponseHeader http.Header
	// Unsent: no request was made — the pipeline refused the item before
	// sending it (Check, a filter error). Such a failure says nothing
	// about the destination.
	Unsent bool
}

// Request is an attempt's request as the delivery log may keep it.
type Request struct {
	URL string
	// Headers are lower-case names with credentials redacted.
	Headers map[string]string
	Body    []byte
	// RawPII says Body carries personal data as the visitor typed it (a
	// webhook's body): it is logged only for sites whose PII policy is raw.
	RawPII bool
}
