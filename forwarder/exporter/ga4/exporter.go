package ga4

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/exporter/capi"
	"github.com/popinbridge/bridge/forwarder/internal/httpsend"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/retry"
)

// Exporter sends an endpoint's events to the Measurement Protocol.
// Immutable once built; safe for concurrent use.
//
// Errors: the Measurement Protocol answers 2xx even to a payload it drops
// (a bad measurement_id or api_secret included), so a delivered attempt
// means only that Google received it; check a setup with the validation
// server, POST {api_url}/debug/mp/collect with the same query and body,
// which answers validationMessages and records nothing. 429, 5xx and
// network errors are retried, other statuses are permanent.
type Exporter struct {
	client   *httpsend.Client
	url      string // with the api_secret
	logURL   string // api_secret redacted
	secret   string // as in url
	eventMap map[string]string
}

var (
	_ exporter.Exporter = (*Exporter)(nil)
	_ exporter.Sampler  = (*Exporter)(nil)
)

// New compiles an endpoint that passed endpoint.Validate (defaults applied).
func New(ep endpoint.Endpoint, client *httpsend.Client) *Exporter {
	m := DefaultEventMap()
	for k, v := range ep.EventMap {
		m[k] = v
	}
	base := strings.TrimRight(ep.APIURL, "/") + "/mp/collect?measurement_id=" + url.QueryEscape(ep.MeasurementID) + "&api_secret="
	sec := url.QueryEscape(ep.APISecret)
	return &Exporter{client: client, eventMap: m, url: base + sec, logURL: base + "REDACTED", secret: sec}
}

// Wants implements exporter.Exporter: names mapped to a GA4 event.
func (x *Exporter) Wants(name string) bool { return x.eventMap[name] != "" }

// MaxBatch implements exporter.Exporter.
func (x *Exporter) MaxBatch() int { return MaxBatch }

// Check implements exporter.Exporter: GA4 drops events more than 72 hours
// old, so they are not sent.
func (x *Exporter) Check(it exporter.Item, now time.Time) error {
	if t := capi.EventTime(it.Event); !t.IsZero() && now.Sub(t) > MaxEventAge {
		return retry.Permanent(fmt.Errorf("event time %s is older than GA4 accepts (72 hours); not sent", t.UTC().Format(time.RFC3339)))
	}
	return nil
}

// SampleName implements exporter.Sampler (exporter.SampleOf).
func (x *Exporter) SampleName() string { return exporter.SampleOf(x.eventMap) }

// Requests groups items into Measurement Protocol requests: one per
// client_id (and user_id), in the order of their first item.
func (x *Exporter) Requests(items []exporter.Item) []Request {
	var out []Request
	at := map[string]int{}
	for _, it := range items {
		ev := it.Event
		cid, uid := ClientID(ev), ev.Context.UserID
		key := cid + "\x00" + uid
		i, ok := at[key]
		if !ok {
			i, at[key] = len(out), len(out)
			out = append(out, Request{ClientID: cid, UserID: uid, Consent: consentOf(ev)})
		}
		e := Build(ev, x.eventMap[ev.Name])
		r := &out[i]
		if r.TimestampMicros == 0 || e.TimestampMicros < r.TimestampMicros {
			r.TimestampMicros = e.TimestampMicros
		}
		r.Events = append(r.Events, e)
	}
	return out
}

// Export implements exporter.Exporter: one request per visitor of items,
// one after the other; the first failure ends the attempt (the items are
// retried together, so events of visitors already sent may reach GA4
// twice — it does not de-duplicate Measurement Protocol events). The
// logged URL has the api_secret redacted.
func (x *Exporter) Export(ctx context.Context, items []exporter.Item) exporter.Result {
	var res exporter.Result
	var bodies []json.RawMessage
	for _, req := range x.Requests(items) {
		body, err := json.Marshal(req)
		if err != nil {
			return exporter.Result{Err: retry.Permanent(err), Request: exporter.Request{URL: x.logURL}}
		}
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set("User-Agent", httpsend.UserAgent)
		r := x.client.Post(ctx, nil, x.url, h, body)
		bodies = append(bodies, body)
		r.Latency += res.Latency
		r.Gone = false // a 410 from Google is not the endpoint asking to be disabled
		r.Request.URL, r.Request.Headers = x.logURL, httpsend.RedactHeaders(h)
		if r.Err != nil && x.secret != "" && strings.Contains(r.Err.Error(), x.secret) {
			r.Err = &redacted{r.Err, x.secret}
		}
		res = r
		if r.Err != nil {
			break
		}
	}
	if len(bodies) == 1 {
		res.Request.Body = bodies[0]
	} else {
		res.Request.Body, _ = json.Marshal(bodies) // every request of the attempt
	}
	return res
}

// redacted keeps the api_secret out of an error's message (an error that
// names the request URL); Unwrap keeps its classification.
type redacted struct {
	err    error
	secret string
}

func (e *redacted) Error() string { return strings.ReplaceAll(e.err.Error(), e.secret, "REDACTED") }
func (e *redacted) Unwrap() error { return e.err }
