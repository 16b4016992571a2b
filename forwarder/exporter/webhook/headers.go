package webhook

import (
	"maps"
	"net/http"

	"github.com/popinbridge/bridge/forwarder/internal/httpsend"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/signing"
)

// Canonical forms of the Standard Webhooks header names (what
// http.Header.Set stores).
var (
	canonID        = http.CanonicalHeaderKey(signing.HeaderID)
	canonTimestamp = http.CanonicalHeaderKey(signing.HeaderTimestamp)
	canonSignature = http.CanonicalHeaderKey(signing.HeaderSignature)
)

// staticHeaders returns the request headers of an endpoint that do not
// change between attempts — Content-Type, User-Agent, the configured
// headers, then the bearer token or API key, each overriding what came
// before — and their delivery-log form (httpsend.RedactHeaders: the auth
// header and every custom header not marked plain are redacted).
func staticHeaders(c *endpoint.Endpoint) (http.Header, map[string]string) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", httpsend.UserAgent)
	for k, v := range c.Headers {
		h.Set(k, v)
	}
	switch c.Auth {
	case endpoint.AuthBearer:
		h.Set("Authorization", "Bearer "+c.Token)
	case endpoint.AuthAPIKey:
		h.Set(c.APIKeyHeader, c.Token)
	}
	secret := []string{c.APIKeyHeader}
	for k := range c.Headers {
		if c.SecretHeader(k) {
			secret = append(secret, k)
		}
	}
	logged := httpsend.RedactHeaders(h, secret...)
	if c.OAuth2 != nil {
		logged["authorization"] = "REDACTED" // the token, added when sent
	}
	return h, logged
}

// logHeaders is the redacted form of the headers Export sent, built from
// the precomputed static part.
func (x *Exporter) logHeaders(webhookID, ts, sig string) map[string]string {
	// A clone copies the static part's table as it is (no insert per
	// entry); a small map has room left for the three values.
	out := maps.Clone(x.staticLog)
	if out == nil {
		out = make(map[string]string, 3)
	}
	out[signing.HeaderID] = httpsend.LogValue(signing.HeaderID, webhookID, x.apiKey)
	out[signing.HeaderTimestamp] = httpsend.LogValue(signing.HeaderTimestamp, ts, x.apiKey)
	if x.auth == endpoint.AuthSignature {
		out[signing.HeaderSignature] = httpsend.LogValue(signing.HeaderSignature, sig, x.apiKey)
	}
	return out
}

// reqHeaders are the request headers of one attempt: the static headers,
// then webhook-id, webhook-timestamp and (auth signature) webhook-signature,
// as http.Header.Set would store them. All values share one backing array,
// so an attempt sets its three values without building a map; a set is
// reused (Exporter.hdrs) once the transport is done with it.
type reqHeaders struct {
	h    http.Header
	vals []string
	id   int // index in vals of webhook-id; webhook-timestamp follows; then webhook-signature if signed
}

// headers returns a set of request headers for one attempt.
func (x *Exporter) headers() *reqHeaders {
	if hs, ok := x.hdrs.Get().(*reqHeaders); ok {
		return hs
	}
	hs := &reqHeaders{h: make(http.Header, len(x.static)+3)}
	n := 2
	if x.auth == endpoint.AuthSignature {
		n = 3
	}
	for _, v := range x.static {
		n += len(v)
	}
	hs.vals = make([]string, 0, n)
	for k, v := range x.static {
		hs.vals = append(hs.vals, v...)
		hs.h[k] = hs.vals[len(hs.vals)-len(v) : len(hs.vals) : len(hs.vals)]
	}
	hs.id = len(hs.vals)
	hs.vals = append(hs.vals, "", "")
	hs.h[canonID] = hs.vals[hs.id : hs.id+1 : hs.id+1]
	hs.h[canonTimestamp] = hs.vals[hs.id+1 : hs.id+2 : hs.id+2]
	if x.auth == endpoint.AuthSignature {
		hs.vals = append(hs.vals, "")
		hs.h[canonSignature] = hs.vals[hs.id+2 : hs.id+3 : hs.id+3]
	}
	return hs
}

// set sets the three per-attempt values (sig ignored when unsigned).
func (hs *reqHeaders) set(id, ts, sig string) {
	hs.vals[hs.id], hs.vals[hs.id+1] = id, ts
	if len(hs.vals) > hs.id+2 {
		hs.vals[hs.id+2] = sig
	}
}
