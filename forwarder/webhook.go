package forwarder

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/payload"
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/signing"
)

// userAgent identifies the forwarder to receivers.
const userAgent = "bridge-forwarder/1"

// Canonical forms of the Standard Webhooks header names (what
// http.Header.Set stores).
var (
	canonID        = http.CanonicalHeaderKey(signing.HeaderID)
	canonTimestamp = http.CanonicalHeaderKey(signing.HeaderTimestamp)
	canonSignature = http.CanonicalHeaderKey(signing.HeaderSignature)
)

// webhookBody renders the body for an endpoint: its template or the default.
func webhookBody(rt *endpointRuntime, ev *event.Event) ([]byte, error) {
	if rt.tmpl != nil {
		return rt.tmpl.Render(ev)
	}
	return payload.DefaultBody(ev)
}

// staticHeaders returns the request headers of a webhook endpoint that do
// not change between attempts — Content-Type, User-Agent, the configured
// headers, then the bearer token or API key, each overriding what came
// before — and their delivery-log form (see redactHeaders).
func staticHeaders(c *endpoint.Endpoint) (http.Header, map[string]string) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", userAgent)
	for k, v := range c.Headers {
		h.Set(k, v)
	}
	switch c.Auth {
	case endpoint.AuthBearer:
		h.Set("Authorization", "Bearer "+c.Token)
	case endpoint.AuthAPIKey:
		h.Set(c.APIKeyHeader, c.Token)
	}
	return h, redactHeaders(h, c.APIKeyHeader)
}

// sendWebhook makes one attempt. The body is the same on every attempt;
// webhook-id stays, webhook-timestamp and the signature are made now.
func (f *Forwarder) sendWebhook(ctx context.Context, rt *endpointRuntime, webhookID string, ev *event.Event) result {
	body, err := webhookBody(rt, ev)
	if err != nil {
		return result{reqURL: rt.cfg.URL, err: retry.Permanent(err)}
	}
	now := time.Now()
	// The static headers, then webhook-id, webhook-timestamp and (auth
	// signature) webhook-signature over them, as http.Header.Set would.
	// All values share one backing array.
	h := make(http.Header, len(rt.static)+3)
	vals := make([]string, 0, len(rt.static)+3)
	for k, v := range rt.static {
		vals = append(vals, v...)
		h[k] = vals[len(vals)-len(v) : len(vals) : len(vals)]
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	vals = append(vals, webhookID, ts)
	h[canonID] = vals[len(vals)-2 : len(vals)-1 : len(vals)-1]
	h[canonTimestamp] = vals[len(vals)-1 : len(vals) : len(vals)]
	sig := ""
	if rt.cfg.Auth == endpoint.AuthSignature {
		var buf [2*64 + 8]byte
		sig = string(signing.AppendSignatures(buf[:0], webhookID, now, body, rt.signersAt(now)...))
		vals = append(vals, sig)
		h[canonSignature] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	r := f.doReq(ctx, rt.post, rt.cfg.URL, h, body)
	r.reqHeaders = webhookLogHeaders(rt, webhookID, ts, sig)
	return r
}

// webhookLogHeaders is redactHeaders of the headers sendWebhook sent,
// built from the endpoint's precomputed static part.
func webhookLogHeaders(rt *endpointRuntime, webhookID, ts, sig string) map[string]string {
	out := make(map[string]string, len(rt.staticLog)+3)
	for k, v := range rt.staticLog {
		out[k] = v
	}
	out[signing.HeaderID] = logValue(signing.HeaderID, webhookID, rt.cfg.APIKeyHeader)
	out[signing.HeaderTimestamp] = logValue(signing.HeaderTimestamp, ts, rt.cfg.APIKeyHeader)
	if rt.cfg.Auth == endpoint.AuthSignature {
		out[signing.HeaderSignature] = logValue(signing.HeaderSignature, sig, rt.cfg.APIKeyHeader)
	}
	return out
}
