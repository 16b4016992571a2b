// Package endpoint is the one model of a destination: what the config file
// declares, what the control plane stores and serves, and what the
// forwarder delivers to. It holds the type, its constants and defaults, the
// one validator (Validate), event matching and the signing secrets in force
// at a given time.
package endpoint

import (
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/popinbridge/bridge/internal/consent"
)

// Endpoint types.
const (
	TypeWebhook      = "webhook"
	TypeFacebookCAPI = "facebook_capi"
	TypeSlack        = "slack"   // Slack incoming webhook (sales.go)
	TypeHubSpot      = "hubspot" // HubSpot CRM contacts (sales.go)
)

// Auth modes of webhook endpoints.
const (
	AuthSignature = "signature" // Standard Webhooks signature (the default)
	AuthBearer    = "bearer"    // Authorization: Bearer <token>
	AuthAPIKey    = "api_key"   // <api_key_header>: <token>
	AuthNone      = "none"
)

// Statuses.
const (
	// StatusActive endpoints receive deliveries.
	StatusActive = "active"
	// StatusPaused endpoints receive nothing; their events wait, without
	// using up retries, and are delivered on resume.
	StatusPaused = "paused"
	// StatusDisabled endpoints receive nothing; set by an admin, by a 410
	// answer, or after failing continuously (control plane lifecycle).
	StatusDisabled = "disabled"
)

// Endpoint is one destination, credentials included. The forwarder reads
// the declaration and Status; the lifecycle fields (DisabledReason …
// UpdatedAt) are the control plane's and are never read from a config file.
// Values are passed by copy; use Clone for a deep copy.
type Endpoint struct {
	ID   string `json:"id" yaml:"id"`
	Site string `json:"site" yaml:"site"`
	Type string `json:"type" yaml:"type"`
	// Description is free text for humans.
	Description string `json:"description,omitempty" yaml:"description"`
	// Events are event names or path.Match globs ("popin_call_*"); "*" is
	// every event. Empty means every event.
	Events []string `json:"events" yaml:"events"`

	// Webhook fields.
	URL  string `json:"url,omitempty" yaml:"url"`
	Auth string `json:"auth,omitempty" yaml:"auth"`
	// Template replaces the default body: a JSON document whose string
	// leaves are Go templates (internal/payload).
	Template string `json:"template,omitempty" yaml:"template"`
	// APIKeyHeader names the header of auth api_key. Default "X-API-KEY".
	APIKeyHeader string `json:"api_key_header,omitempty" yaml:"api_key_header"`
	// Headers are extra static request headers. Their values are treated
	// as credentials — sealed at rest, redacted in reads, logs and delivery
	// rows — except those named in PlainHeaders.
	Headers map[string]string `json:"headers,omitempty" yaml:"headers"`
	// PlainHeaders names headers of Headers whose values are not secret
	// (e.g. X-Tenant): stored, shown and logged as they are.
	PlainHeaders []string `json:"plain_headers,omitempty" yaml:"plain_headers"`

	// Facebook Conversions API fields.
	PixelID       string `json:"pixel_id,omitempty" yaml:"pixel_id"`
	APIVersion    string `json:"api_version,omitempty" yaml:"api_version"`
	GraphURL      string `json:"graph_url,omitempty" yaml:"graph_url"`
	TestEventCode string `json:"test_event_code,omitempty" yaml:"test_event_code"`
	// EventMap overrides or extends the default mapping of event names to
	// Meta event names (popin_captured → Lead, …); "" drops an event.
	EventMap map[string]string `json:"event_map,omitempty" yaml:"event_map"`
	// DefaultRegion (ISO alpha-2) is the phone region when neither the event
	// nor the site gives one.
	DefaultRegion string `json:"default_region,omitempty" yaml:"default_region"`
	// LimitedDataUse, when set, flags every event for Meta's Limited Data
	// Use (data_processing_options, ldu.go).
	LimitedDataUse *consent.LimitedDataUse `json:"limited_data_use,omitempty" yaml:"limited_data_use"`

	// APIURL is the base URL of an API destination (hubspot, ga4,
	// tiktok; each has its default), overridden in tests (and GA4's EU
	// endpoint https://region1.google-analytics.com); a base URL without query.
	APIURL string `json:"api_url,omitempty" yaml:"api_url"`
	// PropertyMap (hubspot) sends more of the event to contact properties:
	// source (utm_source, page_url, data.group, …) → HubSpot property name.
	PropertyMap map[string]string `json:"property_map,omitempty" yaml:"property_map"`
	// GA4 and TikTok fields (adplatforms.go).
	AdPlatforms `yaml:",inline"`

	// Consent lists the purposes (analytics, ads, functional) an event must
	// allow to be sent here (internal/consent). Unset: ["ads"] for the
	// Conversions API, none for webhooks (a CRM receiving the lead a visitor
	// typed is the site's contract relationship; a site can require more).
	Consent []string `json:"consent" yaml:"consent"`

	// RetrySchedule overrides forwarder.retry_schedule (Go durations, e.g.
	// ["5s","1m"]); empty means the global schedule.
	RetrySchedule []string `json:"retry_schedule,omitempty" yaml:"retry_schedule"`
	// Concurrency overrides forwarder.concurrency (0: the global value).
	Concurrency int `json:"concurrency,omitempty" yaml:"concurrency"`
	// RateLimit caps requests to the endpoint per second, across nodes
	// (flow.go); 0 is unlimited. RateBurst is how many may go at once
	// after a quiet spell (0: 1).
	RateLimit float64 `json:"rate_limit,omitempty" yaml:"rate_limit"`
	RateBurst int     `json:"rate_burst,omitempty" yaml:"rate_burst"`
	// Ordering is none (the default, also "") or per_visitor: the events of
	// one visitor reach the endpoint in log order (ordering.go).
	Ordering string `json:"ordering,omitempty" yaml:"ordering"`
	// OrderingChanges are the times at which Ordering flipped, ascending
	// (at most MaxOrderingChanges): each event is delivered by the
	// ordering in force when it was received (OrderedAt). Set by the
	// control plane when it stores a change (OrderingDelay ahead), never
	// by an input.
	OrderingChanges []time.Time `json:"ordering_changes,omitempty" yaml:"-"`

	// Filter is an expression over the event (internal/endpoint/rules)
	// that must be true for the event to be delivered here; empty delivers
	// every subscribed event.
	Filter string `json:"filter,omitempty" yaml:"filter"`
	// Transform (webhooks only) is an expression giving the JSON body
	// instead of the default one; exclusive with Template.
	Transform string `json:"transform,omitempty" yaml:"transform"`

	// Transport auth and egress (egress.go): an OAuth2 client-credentials
	// token sent as Authorization: Bearer, a TLS client certificate and
	// server trust, and an HTTP CONNECT forward proxy.
	OAuth2   *OAuth2 `json:"oauth2,omitempty" yaml:"oauth2"`
	TLS      *TLS    `json:"tls,omitempty" yaml:"tls"`
	ProxyURL string  `json:"proxy_url,omitempty" yaml:"proxy_url"`

	// Credentials: never returned by reads of the management API.
	Secret      string `json:"secret,omitempty" yaml:"secret"`             // auth signature: whsec_…
	Token       string `json:"token,omitempty" yaml:"token"`               // auth bearer / api_key
	AccessToken string `json:"access_token,omitempty" yaml:"access_token"` // facebook_capi
	// PreviousSecrets are rotated-out secrets that keep signing beside
	// Secret until they expire (see SigningSecrets).
	PreviousSecrets []ExpiringSecret `json:"previous_secrets,omitempty" yaml:"-"`

	// Status is active, paused or disabled; empty means active.
	Status string `json:"status" yaml:"status"`

	// Lifecycle, kept by the control plane.
	DisabledReason string     `json:"disabled_reason,omitempty" yaml:"-"`
	DisabledAt     *time.Time `json:"disabled_at,omitempty" yaml:"-"`
	// FailingSince is when the current run of failed attempts began (nil
	// when the last attempt succeeded).
	FailingSince    *time.Time `json:"failing_since,omitempty" yaml:"-"`
	FailingNotified bool       `json:"failing_notified,omitempty" yaml:"-"`
	// Origin is "config" for endpoints declared in the config file, "api"
	// otherwise.
	Origin    string    `json:"origin,omitempty" yaml:"-"`
	CreatedAt time.Time `json:"created_at" yaml:"-"`
	UpdatedAt time.Time `json:"updated_at" yaml:"-"`
}

// ExpiringSecret is a rotated-out signing secret still in use until Expires.
type ExpiringSecret struct {
	Secret  string    `json:"secret"`
	Expires time.Time `json:"expires_at"`
}

// Signs reports whether deliveries to the endpoint carry a signature.
func (e *Endpoint) Signs() bool {
	return e.Type == TypeWebhook && (e.Auth == AuthSignature || e.Auth == "")
}

// Active reports whether the endpoint may receive deliveries now.
func (e *Endpoint) Active() bool { return e.Status == "" || e.Status == StatusActive }

// SigningSecrets returns the secrets to sign with at now: the current one
// first, then every previous one that has not expired, newest first as
// stored. Each signs as its own "v1," signature.
func (e *Endpoint) SigningSecrets(now time.Time) []string {
	if e.Secret == "" {
		return nil
	}
	out := []string{e.Secret}
	for _, p := range e.PreviousSecrets {
		if now.Before(p.Expires) {
			out = append(out, p.Secret)
		}
	}
	return out
}

// SecretHeader reports whether the value of custom header name is a
// credential (every custom header not named in PlainHeaders).
func (e *Endpoint) SecretHeader(name string) bool {
	for _, p := range e.PlainHeaders {
		if strings.EqualFold(p, name) {
			return false
		}
	}
	return true
}

// Unexpired returns the previous secrets still in force at now.
func Unexpired(ps []ExpiringSecret, now time.Time) []ExpiringSecret {
	var out []ExpiringSecret
	for _, p := range ps {
		if now.Before(p.Expires) {
			out = append(out, p)
		}
	}
	return out
}

// Matches reports whether the endpoint subscribes to an event name.
func (e *Endpoint) Matches(name string) bool {
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

// Clone returns a deep copy.
func (e Endpoint) Clone() Endpoint {
	e.Events = slices.Clone(e.Events)
	e.PlainHeaders = slices.Clone(e.PlainHeaders)
	if e.Consent != nil {
		e.Consent = slices.Clone(e.Consent)
	}
	e.RetrySchedule = slices.Clone(e.RetrySchedule)
	e.OrderingChanges = slices.Clone(e.OrderingChanges)
	e.PreviousSecrets = slices.Clone(e.PreviousSecrets)
	e.Headers = maps.Clone(e.Headers)
	e.EventMap = maps.Clone(e.EventMap)
	e.PropertyMap = maps.Clone(e.PropertyMap)
	e.OAuth2, e.TLS = e.OAuth2.clone(), e.TLS.clone()
	if e.LimitedDataUse != nil {
		l := *e.LimitedDataUse
		e.LimitedDataUse = &l
	}
	if e.DisabledAt != nil {
		t := *e.DisabledAt
		e.DisabledAt = &t
	}
	if e.FailingSince != nil {
		t := *e.FailingSince
		e.FailingSince = &t
	}
	return e
}
