package controlplane

import (
	"maps"
	"slices"
	"time"
)

// Endpoint types, auth modes and statuses (CONTRACT §3, §10).
const (
	TypeWebhook      = "webhook"
	TypeFacebookCAPI = "facebook_capi"

	AuthSignature = "signature"
	AuthBearer    = "bearer"
	AuthAPIKey    = "api_key"
	AuthNone      = "none"

	// StatusActive endpoints receive deliveries.
	StatusActive = "active"
	// StatusPaused endpoints receive nothing; their events wait, without
	// using up retries, and are delivered on resume.
	StatusPaused = "paused"
	// StatusDisabled endpoints receive nothing; set by an admin, by a 410
	// answer, or after failing continuously for Config.DisableAfter.
	StatusDisabled = "disabled"
)

// Endpoint is one destination with everything the delivery engine needs,
// credentials included. Values handed to the Engine are copies the engine
// may keep; the management API never serialises credentials in reads (see
// endpointView).
type Endpoint struct {
	ID   string `json:"id" yaml:"id"`
	Site string `json:"site" yaml:"site"`
	Type string `json:"type" yaml:"type"`
	// Description is free text for humans.
	Description string `json:"description,omitempty" yaml:"description"`

	// Webhook fields.
	URL    string   `json:"url,omitempty" yaml:"url"`
	Events []string `json:"events" yaml:"events"` // names or globs; "*" = all
	Auth   string   `json:"auth,omitempty" yaml:"auth"`
	// Template, when set, replaces the default body (the forwarder defines
	// its syntax and may check it through Settings.CheckTemplate).
	Template string `json:"template,omitempty" yaml:"template"`
	// RetrySchedule overrides forwarder.retry_schedule for this endpoint
	// (Go durations, e.g. ["5s","1m"]); empty means the global schedule.
	RetrySchedule []string `json:"retry_schedule,omitempty" yaml:"retry_schedule"`
	// APIKeyHeader names the header of auth api_key (forwarder default X-API-KEY).
	APIKeyHeader string `json:"api_key_header,omitempty" yaml:"api_key_header"`
	// Headers are extra static request headers.
	Headers map[string]string `json:"headers,omitempty" yaml:"headers"`
	// Concurrency overrides forwarder.concurrency (0: the global value).
	Concurrency int `json:"concurrency,omitempty" yaml:"concurrency"`

	// Facebook Conversions API fields.
	PixelID       string `json:"pixel_id,omitempty" yaml:"pixel_id"`
	APIVersion    string `json:"api_version,omitempty" yaml:"api_version"`
	GraphURL      string `json:"graph_url,omitempty" yaml:"graph_url"`
	TestEventCode string `json:"test_event_code,omitempty" yaml:"test_event_code"`
	// EventMap maps event names to Meta event names ("" drops an event).
	EventMap map[string]string `json:"event_map,omitempty" yaml:"event_map"`
	// DefaultRegion is the phone region when neither event nor site gives one.
	DefaultRegion string `json:"default_region,omitempty" yaml:"default_region"`

	// Credentials: never returned by reads.
	Secret      string `json:"secret,omitempty" yaml:"secret"`             // auth signature: whsec_…
	Token       string `json:"token,omitempty" yaml:"token"`               // auth bearer / api_key
	AccessToken string `json:"access_token,omitempty" yaml:"access_token"` // facebook_capi
	// PreviousSecrets keep signing beside Secret until they expire (rotation
	// overlap). The engine signs with Secret and every unexpired one.
	PreviousSecrets []ExpiringSecret `json:"previous_secrets,omitempty" yaml:"-"`

	// Status is active, paused or disabled (empty means active).
	Status         string     `json:"status" yaml:"-"`
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
	return e.Type == TypeWebhook && e.Auth == AuthSignature
}

// Active reports whether the endpoint may receive deliveries now.
func (e *Endpoint) Active() bool { return e.Status == "" || e.Status == StatusActive }

// SigningSecrets returns the secrets to sign with at now: the current one
// first, then unexpired previous ones.
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

// clone returns a deep copy.
func (e Endpoint) clone() Endpoint {
	e.Events = slices.Clone(e.Events)
	e.RetrySchedule = slices.Clone(e.RetrySchedule)
	e.PreviousSecrets = slices.Clone(e.PreviousSecrets)
	e.Headers = maps.Clone(e.Headers)
	e.EventMap = maps.Clone(e.EventMap)
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

// credentials are the sealed part of a stored endpoint.
type credentials struct {
	Secret          string           `json:"secret,omitempty"`
	Token           string           `json:"token,omitempty"`
	AccessToken     string           `json:"access_token,omitempty"`
	PreviousSecrets []ExpiringSecret `json:"previous_secrets,omitempty"`
}

func (e *Endpoint) takeCredentials() credentials {
	c := credentials{e.Secret, e.Token, e.AccessToken, e.PreviousSecrets}
	e.Secret, e.Token, e.AccessToken, e.PreviousSecrets = "", "", "", nil
	return c
}

func (e *Endpoint) putCredentials(c credentials) {
	e.Secret, e.Token, e.AccessToken, e.PreviousSecrets = c.Secret, c.Token, c.AccessToken, c.PreviousSecrets
}
