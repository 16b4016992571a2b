package endpoint

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/popinbridge/bridge/internal/ssrf"
)

// checkURL accepts an absolute http or https URL without user info (and,
// unless query is true, without query or fragment), then asks the SSRF
// guard when there is one. Host names are resolved and checked again by
// the forwarder's dialer at every connect.
func checkURL(raw string, guard *ssrf.Guard, query bool) error {
	if raw == "" {
		return errors.New("required")
	}
	if len(raw) > maxURL {
		return fmt.Errorf("longer than %d characters", maxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http or https URL")
	}
	if u.User != nil {
		return errors.New("must not carry credentials; use auth")
	}
	if !query && (u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?")) {
		return errors.New("must be a base URL without query or fragment")
	}
	if guard != nil {
		return guard.CheckURL(raw)
	}
	return nil
}

// validateHeaders checks the extra headers: valid names and values, a
// bounded count, and none of the headers the forwarder sets itself.
func (x *Endpoint) validateHeaders() []error {
	var errs []error
	if len(x.Headers) > maxHeaders {
		errs = append(errs, fieldErr("headers", "at most %d headers", maxHeaders))
	}
	for i, p := range x.PlainHeaders {
		found := false
		for k := range x.Headers {
			found = found || strings.EqualFold(k, p)
		}
		if !found {
			errs = append(errs, fieldErr("plain_headers", "plain_headers[%d]: %q is not one of headers", i, p))
		}
	}
	for k, v := range x.Headers {
		switch {
		case !validHeaderName(k):
			errs = append(errs, fieldErr("headers", "%q is not a header name (letters, digits and !#$%%&'*+-.^_`|~)", k))
		case len(v) > maxHeaderValue || !validHeaderValue(v):
			errs = append(errs, fieldErr("headers", "%q: the value must be one line of printable characters, at most %d", k, maxHeaderValue))
		default:
			if reason := reservedHeader(k, x.authHeader()); reason != "" {
				errs = append(errs, fieldErr("headers", "%q %s", k, reason))
			}
		}
	}
	return errs
}

// authHeader is the header the endpoint's auth sets, "" when none.
func (x *Endpoint) authHeader() string {
	switch x.Auth {
	case AuthBearer:
		return "Authorization"
	case AuthAPIKey:
		if x.APIKeyHeader == "" {
			return DefaultAPIKeyHeader
		}
		return x.APIKeyHeader
	}
	return ""
}

// reservedHeader says why a header may not be configured ("" if it may):
// transport headers and the Standard Webhooks headers are the forwarder's,
// and the auth header belongs to auth. Content-Type may be overridden.
func reservedHeader(name, authHeader string) string {
	switch strings.ToLower(name) {
	case "host", "content-length", "transfer-encoding", "connection", "te", "trailer", "upgrade", "keep-alive", "proxy-connection":
		return "is set by the HTTP client"
	case "webhook-id", "webhook-timestamp", "webhook-signature":
		return "is set by the forwarder (Standard Webhooks)"
	}
	if authHeader != "" && strings.EqualFold(name, authHeader) {
		return "is set by auth; use token"
	}
	return ""
}

// validHeaderName reports whether s is an RFC 9110 token: ASCII letters,
// digits and !#$%&'*+-.^_`|~.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether s is a header value without control
// characters (tab allowed), so it cannot split or end a header line.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
