package forwarder

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/popinbridge/bridge/internal/payload"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/ssrf"
)

// Endpoint types.
const (
	TypeWebhook      = "webhook"
	TypeFacebookCAPI = "facebook_capi"
)

// Auth modes of webhook endpoints.
const (
	AuthSignature = "signature" // Standard Webhooks signature (the default)
	AuthBearer    = "bearer"    // Authorization: Bearer <token>
	AuthAPIKey    = "api_key"   // <api_key_header>: <token>
	AuthNone      = "none"
)

// Endpoint statuses.
const (
	StatusActive   = "active"
	StatusPaused   = "paused"   // events are kept and delivered on resume
	StatusDisabled = "disabled" // nothing is enqueued or delivered
)

// EndpointConfig is one destination (CONTRACT §3 `endpoints:`).
type EndpointConfig struct {
	ID   string `yaml:"id" json:"id"`
	Site string `yaml:"site" json:"site"`
	Type string `yaml:"type" json:"type"`
	// Events are event names or path.Match globs ("popin_call_*"); "*" is
	// every event. Empty means every event.
	Events []string `yaml:"events" json:"events"`
	// Status is active (default), paused or disabled.
	Status string `yaml:"status" json:"status,omitempty"`

	// Webhook fields.
	URL  string `yaml:"url" json:"url,omitempty"`
	Auth string `yaml:"auth" json:"auth,omitempty"`
	// Secret is the Standard Webhooks secret ("whsec_<base64>") of auth signature.
	Secret string `yaml:"secret" json:"secret,omitempty"`
	// PreviousSecret keeps signing beside Secret until
	// PreviousSecretExpiresAt (rotation overlap).
	PreviousSecret          string    `yaml:"previous_secret" json:"previous_secret,omitempty"`
	PreviousSecretExpiresAt time.Time `yaml:"previous_secret_expires_at" json:"previous_secret_expires_at,omitempty"`
	// Token is sent as "Authorization: Bearer <token>" (auth bearer) or in
	// APIKeyHeader (auth api_key).
	Token string `yaml:"token" json:"token,omitempty"`
	// APIKeyHeader names the api_key header. Default "X-API-KEY" (Make wants
	// "x-make-apikey").
	APIKeyHeader string `yaml:"api_key_header" json:"api_key_header,omitempty"`
	// Headers are extra static request headers.
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
	// Template replaces the default body: a JSON document whose string
	// leaves are Go templates (see forwarder/README.md).
	Template string `yaml:"template" json:"template,omitempty"`

	// Facebook Conversions API fields.
	PixelID       string `yaml:"pixel_id" json:"pixel_id,omitempty"`
	AccessToken   string `yaml:"access_token" json:"access_token,omitempty"`
	APIVersion    string `yaml:"api_version" json:"api_version,omitempty"`
	GraphURL      string `yaml:"graph_url" json:"graph_url,omitempty"`
	TestEventCode string `yaml:"test_event_code" json:"test_event_code,omitempty"`
	// EventMap overrides or extends the default mapping of event names to
	// Meta event names (popin_captured → Lead, …); "" drops an event.
	EventMap map[string]string `yaml:"event_map" json:"event_map,omitempty"`
	// DefaultRegion (ISO alpha-2) is the phone region when neither the event
	// nor the site's default_phone_region gives one.
	DefaultRegion string `yaml:"default_region" json:"default_region,omitempty"`

	// RetrySchedule overrides forwarder.retry_schedule for this endpoint.
	RetrySchedule []string `yaml:"retry_schedule" json:"retry_schedule,omitempty"`
	// Concurrency overrides forwarder.concurrency for this endpoint.
	Concurrency int `yaml:"concurrency" json:"concurrency,omitempty"`
}

// Defaults for Conversions API endpoints.
const (
	DefaultAPIVersion = "v24.0"
	DefaultGraphURL   = "https://graph.facebook.com"
)

// ApplyDefaults fills unset fields.
func (e *EndpointConfig) ApplyDefaults() {
	if e.Status == "" {
		e.Status = StatusActive
	}
	if len(e.Events) == 0 {
		e.Events = []string{"*"}
	}
	switch e.Type {
	case TypeWebhook:
		if e.Auth == "" {
			e.Auth = AuthSignature
		}
		if e.Auth == AuthAPIKey && e.APIKeyHeader == "" {
			e.APIKeyHeader = "X-API-KEY"
		}
	case TypeFacebookCAPI:
		if e.APIVersion == "" {
			e.APIVersion = DefaultAPIVersion
		}
		if e.GraphURL == "" {
			e.GraphURL = DefaultGraphURL
		}
	}
}

// Validate reports every problem of one endpoint, each naming its key.
// allowed are the SSRF guard's exempt CIDRs (forwarder.allowed_private_targets).
func (e *EndpointConfig) Validate(allowed []string) error {
	c := *e
	c.ApplyDefaults()
	var errs []error
	if c.ID == "" {
		errs = append(errs, errors.New("id: required"))
	} else if !validToken(c.ID) {
		errs = append(errs, fmt.Errorf("id: %q: want 1-64 letters, digits, '_' or '-'", c.ID))
	}
	if c.Site == "" {
		errs = append(errs, errors.New("site: required"))
	}
	for i, p := range c.Events {
		if _, err := path.Match(p, "x"); err != nil || p == "" {
			errs = append(errs, fmt.Errorf("events[%d]: %q is not a name or glob", i, p))
		}
	}
	switch c.Status {
	case StatusActive, StatusPaused, StatusDisabled:
	default:
		errs = append(errs, fmt.Errorf("status: %q is not one of active, paused, disabled", c.Status))
	}
	for i, s := range c.RetrySchedule {
		if d, err := time.ParseDuration(s); err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("retry_schedule[%d]: %q is not a duration like \"5s\"", i, s))
		}
	}
	if c.Concurrency < 0 || c.Concurrency > 1024 {
		errs = append(errs, fmt.Errorf("concurrency: %d is not within 0 to 1024", c.Concurrency))
	}
	guard, _ := ssrf.New(allowed)
	switch c.Type {
	case TypeWebhook:
		errs = append(errs, c.validateWebhook(guard)...)
	case TypeFacebookCAPI:
		errs = append(errs, c.validateCAPI(guard)...)
	case "":
		errs = append(errs, errors.New("type: required (webhook or facebook_capi)"))
	default:
		errs = append(errs, fmt.Errorf("type: %q is not one of webhook, facebook_capi", c.Type))
	}
	return errors.Join(errs...)
}

func (c *EndpointConfig) validateWebhook(guard *ssrf.Guard) []error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("url: required"))
	} else if err := guard.CheckURL(c.URL); err != nil {
		errs = append(errs, fmt.Errorf("url: %w", err))
	}
	switch c.Auth {
	case AuthSignature:
		if _, err := signing.ParseSecret(c.Secret); err != nil {
			errs = append(errs, fmt.Errorf("secret: %w", err))
		}
		if c.PreviousSecret != "" {
			if _, err := signing.ParseSecret(c.PreviousSecret); err != nil {
				errs = append(errs, fmt.Errorf("previous_secret: %w", err))
			}
		}
	case AuthBearer, AuthAPIKey:
		if c.Token == "" {
			errs = append(errs, fmt.Errorf("token: required for auth %s", c.Auth))
		}
		if c.Auth == AuthAPIKey && !validHeaderName(c.APIKeyHeader) {
			errs = append(errs, fmt.Errorf("api_key_header: %q is not a header name", c.APIKeyHeader))
		}
	case AuthNone:
	default:
		errs = append(errs, fmt.Errorf("auth: %q is not one of signature, bearer, api_key, none", c.Auth))
	}
	for k := range c.Headers {
		if !validHeaderName(k) {
			errs = append(errs, fmt.Errorf("headers: %q is not a header name", k))
		}
		switch strings.ToLower(k) {
		case "host", "content-length", "content-type", "webhook-id", "webhook-timestamp", "webhook-signature":
			errs = append(errs, fmt.Errorf("headers: %q is set by the forwarder", k))
		}
	}
	if c.Template != "" {
		if _, err := payload.Parse(c.Template); err != nil {
			errs = append(errs, fmt.Errorf("template: %w", err))
		}
	}
	return errs
}

func (c *EndpointConfig) validateCAPI(guard *ssrf.Guard) []error {
	var errs []error
	if c.PixelID == "" || strings.ContainsAny(c.PixelID, "/?#. ") {
		errs = append(errs, fmt.Errorf("pixel_id: %q: required, digits as given by Meta", c.PixelID))
	}
	if c.AccessToken == "" {
		errs = append(errs, errors.New("access_token: required"))
	}
	if !strings.HasPrefix(c.APIVersion, "v") || strings.ContainsAny(c.APIVersion, "/?# ") {
		errs = append(errs, fmt.Errorf("api_version: %q is not like \"v24.0\"", c.APIVersion))
	}
	if u, err := url.Parse(c.GraphURL); err != nil || u.RawQuery != "" {
		errs = append(errs, fmt.Errorf("graph_url: %q is not a base URL", c.GraphURL))
	} else if err := guard.CheckURL(c.GraphURL); err != nil {
		errs = append(errs, fmt.Errorf("graph_url: %w", err))
	}
	if r := c.DefaultRegion; r != "" && (len(r) != 2 || strings.ToUpper(r) != r) {
		errs = append(errs, fmt.Errorf("default_region: %q is not an ISO alpha-2 code like \"IN\"", r))
	}
	return errs
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return http.CanonicalHeaderKey(s) != ""
}

// Matches reports whether the endpoint subscribes to an event name.
func (e *EndpointConfig) Matches(name string) bool {
	if len(e.Events) == 0 {
		return true
	}
	for _, p := range e.Events {
		if p == "*" || p == name {
			return true
		}
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// ValidateEndpoints checks a list of endpoints: each one, unique ids, and
// sites that exist (siteIDs nil skips that check). Errors are prefixed
// "endpoints[i].".
func ValidateEndpoints(eps []EndpointConfig, siteIDs map[string]bool, allowed []string) error {
	var errs []error
	seen := map[string]bool{}
	for i := range eps {
		e := &eps[i]
		if err := e.Validate(allowed); err != nil {
			errs = append(errs, prefix(fmt.Sprintf("endpoints[%d].", i), err))
		}
		if seen[e.ID] && e.ID != "" {
			errs = append(errs, fmt.Errorf("endpoints[%d].id: %q is used twice", i, e.ID))
		}
		seen[e.ID] = true
		if siteIDs != nil && e.Site != "" && !siteIDs[e.Site] {
			errs = append(errs, fmt.Errorf("endpoints[%d].site: %q is not a configured site", i, e.Site))
		}
	}
	return errors.Join(errs...)
}

func prefix(p string, err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, fmt.Errorf("%s%w", p, e))
		}
		return errors.Join(out...)
	}
	return fmt.Errorf("%s%w", p, err)
}

// CheckURL validates an endpoint URL against the SSRF rules at create or
// update time (http/https only; literal addresses, localhost and numeric
// host forms checked against allowed). The dialer checks every connect again.
func CheckURL(rawURL string, allowed []string) error {
	g, err := ssrf.New(allowed)
	if err != nil {
		return fmt.Errorf("allowed_private_targets: %w", err)
	}
	return g.CheckURL(rawURL)
}
