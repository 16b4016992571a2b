package controlplane

import (
	"crypto/rand"
	"encoding/base64"

	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/signing"
)

// Endpoint is the one endpoint model (internal/endpoint): the store keeps
// it, the API serves it, the engine receives it.
type Endpoint = endpoint.Endpoint

// ExpiringSecret is a rotated-out signing secret still in use until Expires.
type ExpiringSecret = endpoint.ExpiringSecret

// prepare fills an endpoint's defaults and generates the credential its
// auth needs when none was given. It reports whether it generated one (so
// the caller may show it once).
func prepare(e *Endpoint) (generated bool) {
	e.ApplyDefaults()
	if e.Type != endpoint.TypeWebhook {
		return false
	}
	switch e.Auth {
	case endpoint.AuthSignature:
		if e.Secret == "" {
			e.Secret, generated = signing.NewSecret(), true
		}
	case endpoint.AuthBearer, endpoint.AuthAPIKey:
		if e.Token == "" {
			e.Token, generated = newToken(), true
		}
	}
	return generated
}

// newToken returns a fresh opaque token for bearer or api_key auth.
func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "tok_" + base64.RawURLEncoding.EncodeToString(b)
}

// credentials are the sealed part of a stored endpoint: secrets, tokens and
// the values of custom headers not marked plain.
type credentials struct {
	Secret          string            `json:"secret,omitempty"`
	Token           string            `json:"token,omitempty"`
	AccessToken     string            `json:"access_token,omitempty"`
	APISecret       string            `json:"api_secret,omitempty"` // ga4
	PreviousSecrets []ExpiringSecret  `json:"previous_secrets,omitempty"`
	Headers         map[string]string `json:"headers,omitempty"`
	// URL is the url of endpoints whose url is a credential (a Slack
	// incoming webhook, endpoint.SecretURL).
	URL string `json:"url,omitempty"`
	// OAuth2ClientSecret and TLSKey are oauth2.client_secret and tls.key
	// (endpoint_egress.go).
	OAuth2ClientSecret string `json:"oauth2_client_secret,omitempty"`
	TLSKey             string `json:"tls_key,omitempty"`
}

// redacted stands for a secret header value in reads; a PATCH that sends
// it back keeps the stored value.
const redacted = "REDACTED"

// takeCredentials removes the credentials from e and returns them; the
// names of secret headers stay, with empty values.
func takeCredentials(e *Endpoint) credentials {
	c := credentials{Secret: e.Secret, Token: e.Token, AccessToken: e.AccessToken, APISecret: e.APISecret, PreviousSecrets: e.PreviousSecrets}
	e.Secret, e.Token, e.AccessToken, e.APISecret, e.PreviousSecrets = "", "", "", "", nil
	if e.SecretURL() {
		c.URL, e.URL = e.URL, ""
	}
	if len(e.Headers) > 0 {
		plain := make(map[string]string, len(e.Headers))
		for k, v := range e.Headers {
			if e.SecretHeader(k) {
				if c.Headers == nil {
					c.Headers = map[string]string{}
				}
				c.Headers[k], v = v, ""
			}
			plain[k] = v
		}
		e.Headers = plain
	}
	takeEgress(e, &c)
	return c
}

func putCredentials(e *Endpoint, c credentials) {
	e.Secret, e.Token, e.AccessToken, e.APISecret, e.PreviousSecrets = c.Secret, c.Token, c.AccessToken, c.APISecret, c.PreviousSecrets
	if c.URL != "" {
		e.URL = c.URL
	}
	putEgress(e, c)
	if len(c.Headers) > 0 {
		h := make(map[string]string, len(e.Headers)+len(c.Headers))
		for k, v := range e.Headers {
			h[k] = v
		}
		for k, v := range c.Headers {
			h[k] = v
		}
		e.Headers = h
	}
}

// hasCredentials reports whether c holds anything to seal.
func (c credentials) hasCredentials() bool {
	return c.Secret != "" || c.Token != "" || c.AccessToken != "" || c.APISecret != "" || len(c.PreviousSecrets) > 0 || len(c.Headers) > 0 ||
		c.URL != "" || c.OAuth2ClientSecret != "" || c.TLSKey != ""
}
