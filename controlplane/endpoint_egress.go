package controlplane

import "encoding/json"

// The credentials of endpoint auth and egress — oauth2.client_secret and
// tls.key — are sealed with the endpoint's other credentials, shown as
// REDACTED in reads, and kept by a PATCH that sends REDACTED back or
// leaves them out.

// takeEgress moves the egress credentials of e into c; e's oauth2 and tls
// are copied first (they may be shared with the stored endpoint).
func takeEgress(e *Endpoint, c *credentials) {
	if o := e.OAuth2; o != nil && o.ClientSecret != "" {
		cp := *o
		c.OAuth2ClientSecret, cp.ClientSecret = o.ClientSecret, ""
		e.OAuth2 = &cp
	}
	if t := e.TLS; t != nil && t.Key != "" {
		cp := *t
		c.TLSKey, cp.Key = t.Key, ""
		e.TLS = &cp
	}
}

// putEgress puts the egress credentials of c back into e.
func putEgress(e *Endpoint, c credentials) {
	if o := e.OAuth2; o != nil && c.OAuth2ClientSecret != "" {
		cp := *o
		cp.ClientSecret = c.OAuth2ClientSecret
		e.OAuth2 = &cp
	}
	if t := e.TLS; t != nil && c.TLSKey != "" {
		cp := *t
		cp.Key = c.TLSKey
		e.TLS = &cp
	}
}

// clearEgressSecrets drops plaintext egress credentials of a stored record
// (only sealed ones count).
func clearEgressSecrets(e *Endpoint) { takeEgress(e, &credentials{}) }

// showRedacted marks the egress credentials c took from a read's e.
func showRedacted(e *Endpoint, c credentials) {
	putEgress(e, credentials{OAuth2ClientSecret: redactIf(c.OAuth2ClientSecret), TLSKey: redactIf(c.TLSKey)})
}

func redactIf(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// keepEgressSecrets gives next (a PATCHed cur) cur's egress credentials
// where the PATCH sent REDACTED or none. A new token_url needs the client
// secret again (rawOAuth2 is the PATCH's oauth2 object), so a secret is
// never sent to a token endpoint it was not given for.
func keepEgressSecrets(cur Endpoint, next *Endpoint, rawOAuth2 json.RawMessage) error {
	if o, old := next.OAuth2, cur.OAuth2; o != nil && old != nil {
		var sent struct {
			ClientSecret *string `json:"client_secret"`
		}
		_ = json.Unmarshal(rawOAuth2, &sent)
		given := sent.ClientSecret != nil && *sent.ClientSecret != redacted
		if !given && o.TokenURL != old.TokenURL {
			return invalid("oauth2.client_secret", "oauth2.client_secret: required when token_url changes")
		}
		if o.ClientSecret == redacted {
			o.ClientSecret = old.ClientSecret
		}
	}
	if t := next.TLS; t != nil && t.Key == redacted && cur.TLS != nil {
		t.Key = cur.TLS.Key
	}
	return refuseRedacted(next)
}

// refuseRedacted refuses REDACTED as a credential with nothing stored
// behind it.
func refuseRedacted(e *Endpoint) error {
	if e.OAuth2 != nil && e.OAuth2.ClientSecret == redacted {
		return invalid("oauth2.client_secret", "oauth2.client_secret: REDACTED stands for a stored secret; give the secret")
	}
	if e.TLS != nil && e.TLS.Key == redacted {
		return invalid("tls.key", "tls.key: REDACTED stands for a stored key; give the key")
	}
	return nil
}
