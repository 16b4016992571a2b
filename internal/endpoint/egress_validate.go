package endpoint

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Bounds of the egress fields.
const (
	maxOAuth2Value   = 1024
	maxScopes        = 50
	maxEndpointParam = 20
	maxCertPEM       = 64 << 10
	maxKeyPEM        = 16 << 10
	maxCAPEM         = 256 << 10
)

var serverNamePattern = regexp.MustCompile(`^[A-Za-z0-9.:-]{1,253}$`)

// validateEgress checks oauth2, tls and proxy_url. Messages never quote a
// credential.
func (x *Endpoint) validateEgress(c Checks) []error {
	var errs []error
	if x.OAuth2 != nil {
		errs = append(errs, x.validateOAuth2(c)...)
	}
	if x.TLS != nil {
		errs = append(errs, x.TLS.validate()...)
	}
	if x.ProxyURL != "" {
		if err := checkProxyURL(x.ProxyURL, c); err != nil {
			errs = append(errs, fieldErr("proxy_url", "%v", err))
		}
	}
	return errs
}

func (x *Endpoint) validateOAuth2(c Checks) []error {
	o := x.OAuth2
	var errs []error
	if x.Type != TypeWebhook {
		return []error{fieldErr("oauth2", "only for type webhook")}
	}
	if err := checkURL(o.TokenURL, c.Guard, true); err != nil {
		errs = append(errs, fieldErr("oauth2.token_url", "%v", err))
	}
	if o.ClientID == "" || len(o.ClientID) > maxOAuth2Value || !validHeaderValue(o.ClientID) {
		errs = append(errs, fieldErr("oauth2.client_id", "required: one line of printable characters, at most %d", maxOAuth2Value))
	}
	if o.ClientSecret == "" || len(o.ClientSecret) > maxToken || !validHeaderValue(o.ClientSecret) {
		errs = append(errs, fieldErr("oauth2.client_secret", "required: one line of printable characters, at most %d", maxToken))
	}
	if len(o.Scopes) > maxScopes {
		errs = append(errs, fieldErr("oauth2.scopes", "at most %d scopes", maxScopes))
	}
	for i, s := range o.Scopes {
		if !validScope(s) {
			errs = append(errs, fieldErr("oauth2.scopes", "scopes[%d]: %q is not a scope (1 to %d printable characters without spaces, quotes or backslashes)", i, s, maxOAuth2Value))
		}
	}
	if len(o.Audience) > maxOAuth2Value || !validHeaderValue(o.Audience) {
		errs = append(errs, fieldErr("oauth2.audience", "one line of printable characters, at most %d", maxOAuth2Value))
	}
	if len(o.EndpointParams) > maxEndpointParam {
		errs = append(errs, fieldErr("oauth2.endpoint_params", "at most %d parameters", maxEndpointParam))
	}
	for k, v := range o.EndpointParams {
		switch {
		case k == "" || len(k) > 128 || len(v) > maxOAuth2Value || !validHeaderValue(k) || !validHeaderValue(v):
			errs = append(errs, fieldErr("oauth2.endpoint_params", "%q: names of 1 to 128 and values of at most %d printable characters", k, maxOAuth2Value))
		case k == "grant_type" || k == "client_id" || k == "client_secret" || k == "scope":
			errs = append(errs, fieldErr("oauth2.endpoint_params", "%q is set by the forwarder (use client_id, client_secret, scopes)", k))
		case k == "audience" && o.Audience != "":
			errs = append(errs, fieldErr("oauth2.endpoint_params", "\"audience\" is also set as audience; keep one"))
		}
	}
	switch o.AuthStyle {
	case OAuth2AuthAuto, OAuth2AuthHeader, OAuth2AuthParams:
	default:
		errs = append(errs, fieldErr("oauth2.auth_style", "%q is not one of header, params or empty (try both)", o.AuthStyle))
	}
	if strings.EqualFold(x.authHeader(), "Authorization") {
		errs = append(errs, fieldErr("oauth2", "not with auth %s, which sets Authorization too; use auth signature or none", x.Auth))
	}
	for k := range x.Headers {
		if strings.EqualFold(k, "Authorization") {
			errs = append(errs, fieldErr("headers", "%q is set by oauth2", k))
		}
	}
	return errs
}

// validScope is an RFC 6749 scope-token: %x21 / %x23-5B / %x5D-7E.
func validScope(s string) bool {
	if s == "" || len(s) > maxOAuth2Value {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func (t *TLS) validate() []error {
	var errs []error
	for k, v := range map[string]string{"cert_file": t.CertFile, "key_file": t.KeyFile, "ca_file": t.CAFile} {
		if v != "" {
			errs = append(errs, fieldErr("tls."+k, "files are read only from the config file"))
		}
	}
	switch {
	case len(t.CertPEM) > maxCertPEM:
		errs = append(errs, fieldErr("tls.cert_pem", "longer than %d bytes", maxCertPEM))
	case len(t.Key) > maxKeyPEM:
		errs = append(errs, fieldErr("tls.key", "longer than %d bytes", maxKeyPEM))
	case t.CertPEM == "" && t.Key != "":
		errs = append(errs, fieldErr("tls.cert_pem", "required with key"))
	case t.CertPEM != "" && t.Key == "":
		errs = append(errs, fieldErr("tls.key", "required with cert_pem (the certificate's private key, PEM)"))
	case t.CertPEM != "":
		if err := checkCertPEM(t.CertPEM); err != nil {
			errs = append(errs, fieldErr("tls.cert_pem", "%v", err))
		} else if _, err := tls.X509KeyPair([]byte(t.CertPEM), []byte(t.Key)); err != nil {
			errs = append(errs, fieldErr("tls.key", "%v", keyError(err)))
		}
	}
	if len(t.CAPEM) > maxCAPEM {
		errs = append(errs, fieldErr("tls.ca_pem", "longer than %d bytes", maxCAPEM))
	} else if t.CAPEM != "" {
		if err := checkCertPEM(t.CAPEM); err != nil {
			errs = append(errs, fieldErr("tls.ca_pem", "%v", err))
		}
	}
	if t.ServerName != "" && !serverNamePattern.MatchString(t.ServerName) {
		errs = append(errs, fieldErr("tls.server_name", "%q is not a host name", t.ServerName))
	}
	return errs
}

// checkCertPEM accepts one or more PEM CERTIFICATE blocks that parse as
// X.509 certificates, and nothing else.
func checkCertPEM(s string) error {
	rest, n := []byte(s), 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		n++
		if b.Type != "CERTIFICATE" {
			return fmt.Errorf("block %d: a PEM %s block, not CERTIFICATE", n, b.Type)
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Errorf("certificate %d: %w", n, err)
		}
	}
	if n == 0 {
		return errors.New("no PEM certificate (-----BEGIN CERTIFICATE-----)")
	}
	if strings.TrimSpace(string(rest)) != "" {
		return errors.New("text after the last PEM block")
	}
	return nil
}

// keyError is the reason a key does not go with the certificate, without
// quoting either.
func keyError(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "does not match"):
		return "does not match the certificate of cert_pem"
	case strings.Contains(msg, "find any PEM data") || strings.Contains(msg, "find PEM block"):
		return "no PEM private key (-----BEGIN PRIVATE KEY-----)"
	}
	return "not a private key the certificate can use: " + msg
}

// checkProxyURL accepts http://host:port of a forward proxy without
// credentials, path or query, and asks the SSRF guard about its address.
func checkProxyURL(raw string, c Checks) error {
	if len(raw) > maxURL {
		return errors.New("too long")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("must be like http://proxy.example:3128")
	}
	if u.Scheme != "http" {
		return errors.New("only http:// proxies (HTTP CONNECT) are supported")
	}
	if u.User != nil {
		return errors.New("must not carry credentials (a proxy that needs them is configured as forwarder.proxy_url)")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must be scheme, host and port only")
	}
	if c.Guard != nil {
		return c.Guard.CheckURL(raw)
	}
	return nil
}
