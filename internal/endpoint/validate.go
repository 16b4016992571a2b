package endpoint

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/popinbridge/bridge/internal/consent"
	"github.com/popinbridge/bridge/internal/payload"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/ssrf"
)

// Bounds of the validator.
const (
	MaxConcurrency     = 1024
	MaxRetrySteps      = 100
	MaxRetryStep       = 7 * 24 * time.Hour
	MaxPreviousSecrets = 4
	maxDescription     = 1024
	maxEventPattern    = 128
	maxTemplate        = 64 << 10
	maxHeaders         = 50
	maxHeaderValue     = 4096
	maxToken           = 4096
	maxURL             = 2048
)

var (
	// idPattern keeps ids usable as JetStream KV keys, subjects and URL
	// path segments.
	idPattern         = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	apiVersionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)
	pixelIDPattern    = regexp.MustCompile(`^[0-9]{1,32}$`)
)

// FieldError is a problem with one field. Field is the key as users write
// it ("url", "headers", "retry_schedule"); Msg may name an element
// ("retry_schedule[1]: …").
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, a ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// Checks are what Validate needs besides the endpoint.
type Checks struct {
	// Guard refuses URLs that point at private addresses (the SSRF guard
	// built from forwarder.allowed_private_targets). Nil checks the URL's
	// form only.
	Guard *ssrf.Guard
	// Declaration accepts a missing secret or token, as the config file
	// may: the control plane generates one when it stores the endpoint.
	Declaration bool
}

// Validate reports every problem of the endpoint, in field order, each a
// *FieldError joined with errors.Join; nil when it is deliverable. Unset
// fields are judged with their defaults (see ApplyDefaults). It is the one
// validator: the config check, the management API and the forwarder all
// call it, so what one accepts the others deliver.
func (e *Endpoint) Validate(c Checks) error {
	x := e.Clone()
	x.ApplyDefaults()
	var errs []error
	add := func(err ...error) { errs = append(errs, err...) }
	if !idPattern.MatchString(x.ID) {
		add(fieldErr("id", "%q: must be 1 to 64 letters, digits, '-' or '_'", x.ID))
	}
	if x.Site == "" {
		add(fieldErr("site", "required"))
	}
	if len(x.Description) > maxDescription {
		add(fieldErr("description", "longer than %d characters", maxDescription))
	}
	for i, p := range x.Events {
		if p == "" || len(p) > maxEventPattern {
			add(fieldErr("events", "events[%d]: must be 1 to %d characters", i, maxEventPattern))
		} else if _, err := path.Match(p, ""); err != nil {
			add(fieldErr("events", "events[%d]: %q is not a name or glob", i, p))
		}
	}
	switch x.Status {
	case StatusActive, StatusPaused, StatusDisabled:
	default:
		add(fieldErr("status", "%q is not one of active, paused, disabled", x.Status))
	}
	switch x.Type {
	case TypeWebhook:
		add(x.validateWebhook(c)...)
	case TypeFacebookCAPI:
		add(x.validateCAPI(c)...)
	case TypeSlack:
		add(x.validateSlack(c)...)
	case TypeHubSpot:
		add(x.validateHubSpot(c)...)
	case TypeGA4:
		add(x.validateGA4(c)...)
	case TypeTikTok:
		add(x.validateTikTok(c)...)
	default:
		add(fieldErr("type", "%q is not one of webhook, facebook_capi, ga4, tiktok, slack, hubspot", x.Type))
	}
	add(x.validateAdFields()...)
	for i, p := range x.Consent {
		if !consent.Known(p) {
			add(fieldErr("consent", "consent[%d]: %q is not one of analytics, ads, functional", i, p))
		}
	}
	if x.Concurrency < 0 || x.Concurrency > MaxConcurrency {
		add(fieldErr("concurrency", "%d is not between 0 and %d", x.Concurrency, MaxConcurrency))
	}
	if err := ValidateSchedule(x.RetrySchedule); err != nil {
		add(&FieldError{Field: "retry_schedule", Msg: err.Error()})
	}
	add(x.validateRules()...)
	add(x.validateFlow()...)
	add(x.validatePropertyMap()...)
	add(x.validateEgress(c)...)
	add(x.validateOrdering()...)
	return errors.Join(errs...)
}

func (x *Endpoint) validateWebhook(c Checks) []error {
	var errs []error
	if err := checkURL(x.URL, c.Guard, true); err != nil {
		errs = append(errs, fieldErr("url", "%v", err))
	}
	switch x.Auth {
	case AuthSignature:
		if x.Secret != "" || !c.Declaration {
			if _, err := signing.ParseSecret(x.Secret); err != nil {
				errs = append(errs, fieldErr("secret", "%v", err))
			}
		}
		for i, p := range x.PreviousSecrets {
			if _, err := signing.ParseSecret(p.Secret); err != nil {
				errs = append(errs, fieldErr("previous_secrets", "previous_secrets[%d]: %v", i, err))
			}
		}
	case AuthBearer, AuthAPIKey:
		if x.Token == "" && c.Declaration {
			break
		}
		if x.Token == "" || len(x.Token) > maxToken || !validHeaderValue(x.Token) {
			errs = append(errs, fieldErr("token", "required for auth %s: one line of printable characters, at most %d", x.Auth, maxToken))
		}
	case AuthNone:
	default:
		errs = append(errs, fieldErr("auth", "%q is not one of signature, bearer, api_key, none", x.Auth))
	}
	if x.APIKeyHeader != "" {
		if !validHeaderName(x.APIKeyHeader) {
			errs = append(errs, fieldErr("api_key_header", "%q is not a header name", x.APIKeyHeader))
		} else if reason := reservedHeader(x.APIKeyHeader, ""); reason != "" {
			errs = append(errs, fieldErr("api_key_header", "%q %s", x.APIKeyHeader, reason))
		}
	}
	errs = append(errs, x.validateHeaders()...)
	if len(x.Template) > maxTemplate {
		errs = append(errs, fieldErr("template", "longer than %d bytes", maxTemplate))
	} else if x.Template != "" {
		if _, err := payload.Parse(x.Template); err != nil {
			errs = append(errs, fieldErr("template", "%v", err))
		}
	}
	for f, v := range map[string]string{"pixel_id": x.PixelID, "access_token": x.AccessToken} {
		if v != "" {
			errs = append(errs, fieldErr(f, "only for type facebook_capi"))
		}
	}
	if x.LimitedDataUse != nil {
		errs = append(errs, fieldErr("limited_data_use", "only for type facebook_capi"))
	}
	return errs
}

func (x *Endpoint) validateCAPI(c Checks) []error {
	var errs []error
	if !pixelIDPattern.MatchString(x.PixelID) {
		errs = append(errs, fieldErr("pixel_id", "%q: required, the digits Meta shows", x.PixelID))
	}
	if x.AccessToken == "" || len(x.AccessToken) > maxToken || strings.ContainsAny(x.AccessToken, " \t\r\n") {
		errs = append(errs, fieldErr("access_token", "required, without spaces, at most %d characters", maxToken))
	}
	if !apiVersionPattern.MatchString(x.APIVersion) {
		errs = append(errs, fieldErr("api_version", "%q is not like \"v24.0\"", x.APIVersion))
	}
	if err := checkURL(x.GraphURL, c.Guard, false); err != nil {
		errs = append(errs, fieldErr("graph_url", "%v", err))
	}
	if r := x.DefaultRegion; r != "" && (len(r) != 2 || strings.ToUpper(r) != r || strings.Trim(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
		errs = append(errs, fieldErr("default_region", "%q is not an ISO 3166 alpha-2 code like \"IN\"", r))
	}
	if len(x.TestEventCode) > 64 || strings.ContainsAny(x.TestEventCode, " \t\r\n") {
		errs = append(errs, fieldErr("test_event_code", "at most 64 characters, without spaces"))
	}
	errs = append(errs, x.validateLDU()...)
	for k, v := range x.EventMap {
		if k == "" || len(k) > maxEventPattern || len(v) > 64 || !validHeaderValue(v) {
			errs = append(errs, fieldErr("event_map", "%q: names of 1 to %d characters mapped to a Meta event name (\"\" drops the event)", k, maxEventPattern))
		}
	}
	if x.URL != "" {
		errs = append(errs, fieldErr("url", "not used by type facebook_capi (see graph_url)"))
	}
	if x.Template != "" {
		errs = append(errs, fieldErr("template", "only for type webhook"))
	}
	if len(x.Headers) > 0 || x.APIKeyHeader != "" {
		errs = append(errs, fieldErr("headers", "only for type webhook"))
	}
	return errs
}

// ValidateSchedule checks a retry schedule: at most MaxRetrySteps Go
// durations, each from 0 to MaxRetryStep. Errors name the step.
func ValidateSchedule(steps []string) error {
	var errs []error
	if len(steps) > MaxRetrySteps {
		errs = append(errs, fmt.Errorf("at most %d steps", MaxRetrySteps))
	}
	for i, s := range steps {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || d > MaxRetryStep {
			errs = append(errs, fmt.Errorf("retry_schedule[%d]: %q is not a duration from 0s to %s, like \"5s\"", i, s, MaxRetryStep))
		}
	}
	return errors.Join(errs...)
}

// ParseSchedule returns the durations of a schedule ValidateSchedule accepts.
func ParseSchedule(steps []string) ([]time.Duration, error) {
	if err := ValidateSchedule(steps); err != nil {
		return nil, err
	}
	out := make([]time.Duration, len(steps))
	for i, s := range steps {
		out[i], _ = time.ParseDuration(s)
	}
	return out, nil
}
