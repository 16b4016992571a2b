// Package slack is the exporter of Slack incoming webhooks (type slack): one
// readable Block Kit message per event for a sales channel — a new lead, a
// call that ended (outcome, duration), a rating, a scheduled call — with
// the page and campaign it came from. The webhook URL is the credential:
// the delivery log and errors show it as "https://hooks.slack.com/REDACTED".
package slack

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/internal/httpsend"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/site"
)

// Exporter posts an endpoint's events to a Slack incoming webhook.
// Immutable once built; safe for concurrent use.
type Exporter struct {
	client   *httpsend.Client
	sites    site.Registry // may be nil
	url      string
	logURL   string
	post     *http.Request
	explicit map[string]bool // names the endpoint's events list outright
}

var _ exporter.Exporter = (*Exporter)(nil)

// New builds the exporter of an endpoint that passed endpoint.Validate;
// sites gives each site's default_phone_region (nil: none).
func New(ep endpoint.Endpoint, client *httpsend.Client, sites site.Registry) *Exporter {
	x := &Exporter{client: client, sites: sites, url: ep.URL, logURL: ep.PublicURL(), post: httpsend.NewPost(ep.URL), explicit: map[string]bool{}}
	for _, p := range ep.Events {
		if !strings.ContainsAny(p, `*?[\`) {
			x.explicit[p] = true
		}
	}
	return x
}

// DefaultEvents returns the names a slack endpoint notifies by default, sorted.
func DefaultEvents() []string {
	out := make([]string, 0, len(defaultEvents))
	for k := range defaultEvents {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Wants implements exporter.Exporter: the default events (leads, calls,
// ratings, schedules), and any other name the endpoint's events list
// outright (not through a glob or "*"), shown as a generic message.
func (x *Exporter) Wants(name string) bool { return defaultEvents[name] != "" || x.explicit[name] }

// MaxBatch implements exporter.Exporter: one message per event.
func (x *Exporter) MaxBatch() int { return 1 }

// Check implements exporter.Exporter: every wanted event makes a message.
func (x *Exporter) Check(exporter.Item, time.Time) error { return nil }

// Export implements exporter.Exporter: one POST of items[0]'s message.
// Slack answers 200 "ok"; errors name Slack's answer ("invalid_payload",
// "no_service"); 410 (channel archived) asks the lifecycle to disable the
// endpoint; 429 carries Retry-After, which pauses the endpoint.
func (x *Exporter) Export(ctx context.Context, items []exporter.Item) exporter.Result {
	ev := items[0].Event
	b, err := body(render(readFacts(ev, x.region(ev.SiteID))))
	if err != nil {
		return exporter.Result{Err: retry.Permanent(err), Request: exporter.Request{URL: x.logURL}}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("User-Agent", httpsend.UserAgent)
	r := x.client.Post(ctx, x.post, x.url, h, b)
	r.Request.URL, r.Request.Headers, r.Request.RawPII = x.logURL, httpsend.RedactHeaders(h), true
	r.Err = x.classify(r.StatusCode, r.ResponseBody, r.Err)
	return r
}

// classify names Slack's answer in the error of a non-2xx attempt (the
// class — retryable or permanent — is httpsend's: 429 and 5xx retried,
// other 4xx permanent) and keeps the webhook URL out of every message.
func (x *Exporter) classify(status int, answer []byte, err error) error {
	if err == nil {
		return nil
	}
	if status != 0 {
		e := &Error{Status: status, Answer: slackAnswer(answer), err: err}
		if retry.IsPermanent(err) {
			return retry.Permanent(e)
		}
		return e
	}
	return scrub(err, x.url)
}

// Error is Slack's answer to a failed attempt.
type Error struct {
	Status int
	// Answer is Slack's error code, e.g. invalid_payload, no_service,
	// channel_not_found, action_prohibited.
	Answer string
	err    error
}

func (e *Error) Error() string {
	if e.Answer == "" {
		return fmt.Sprintf("slack: HTTP %d", e.Status)
	}
	return fmt.Sprintf("slack: HTTP %d %s", e.Status, e.Answer)
}

// Unwrap gives the status classification (retry.StatusError).
func (e *Error) Unwrap() error { return e.err }

// slackAnswer is the start of Slack's plain-text answer, one line.
func slackAnswer(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	return clip(s, 200)
}

// scrubbed is an error whose message had the webhook URL taken out; it
// unwraps to the original (retry.IsPermanent, ssrf.ErrBlocked still hold).
type scrubbed struct {
	msg string
	err error
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }

// scrub replaces the secret URL and its path in err's message.
func scrub(err error, secret string) error {
	msg := err.Error()
	out := strings.ReplaceAll(msg, secret, endpoint.RedactURL(secret))
	if p := urlPath(secret); len(p) > 1 {
		out = strings.ReplaceAll(out, p, "/REDACTED")
	}
	if out == msg {
		return err
	}
	return &scrubbed{msg: out, err: err}
}

func urlPath(raw string) string {
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			return rest[j:]
		}
	}
	return ""
}

// region is the phone region of a site's events without a country.
func (x *Exporter) region(siteID string) string {
	return site.PhoneRegion(x.sites, siteID)
}
