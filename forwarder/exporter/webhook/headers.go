package webhook

import (
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
	out := make(map[string]string, len(x.staticLog)+3)
	for k, v := range x.staticLog {
		out[k] = v
	}
	out[signing.HeaderID] = httpsend.LogValue(signing.HeaderID, webhookID, x.apiKey)
	out[signing.HeaderTimestamp] = httpsend.LogValue(signing.HeaderTimestamp, ts, x.apiKey)
	if x.auth == endpoint.AuthSignature {
		out[signing.HeaderSignature] = httpsend.LogValue(signing.HeaderSignature, sig, x.apiKey)
	}
	return out
}
