package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/popinbridge/bridge/internal/signing"
)

// idPattern is what ids of sites and endpoints may look like: it keeps them
// usable as JetStream KV keys and URL path segments.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

var apiVersionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

// fieldError is a problem with one named field of a request; the API answers
// it with 422 and the field's name.
type fieldError struct {
	Field string
	Msg   string
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, a ...any) error {
	return &fieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// maxRetryStep bounds one step of a per-endpoint retry schedule.
const maxRetryStep = 7 * 24 * time.Hour

// normalize fills defaults of a new or changed endpoint and generates
// missing credentials. It reports whether a credential was generated (so the
// caller may show it once).
func (e *Endpoint) normalize() (generated bool) {
	if e.Type == "" {
		e.Type = TypeWebhook
	}
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
		switch e.Auth {
		case AuthSignature:
			if e.Secret == "" {
				e.Secret, generated = signing.NewSecret(), true
			}
		case AuthBearer, AuthAPIKey:
			if e.Token == "" {
				e.Token, generated = newToken(), true
			}
		}
	case TypeFacebookCAPI:
		if e.APIVersion == "" {
			e.APIVersion = "v24.0"
		}
		if e.GraphURL == "" {
			e.GraphURL = "https://graph.facebook.com"
		}
	}
	return generated
}

// validate checks every field and returns the problems found, in field
// order. checkURL and checkTemplate may be nil.
func (e *Endpoint) validate(ctx context.Context, checkURL func(context.Context, string) error, checkTemplate func(string) error) []error {
	var errs []error
	if !idPattern.MatchString(e.ID) {
		errs = append(errs, fieldErr("id", "must be 1 to 64 letters, digits, '-' or '_'"))
	}
	if e.Site == "" {
		errs = append(errs, fieldErr("site", "required"))
	}
	if len(e.Description) > 1024 {
		errs = append(errs, fieldErr("description", "longer than 1024 characters"))
	}
	switch e.Status {
	case StatusActive, StatusPaused, StatusDisabled:
	default:
		errs = append(errs, fieldErr("status", "%q is not one of active, paused, disabled", e.Status))
	}
	for i, ev := range e.Events {
		if ev == "" || len(ev) > 128 {
			errs = append(errs, fieldErr("events", "events[%d]: must be 1 to 128 characters", i))
		} else if _, err := path.Match(ev, ""); err != nil {
			errs = append(errs, fieldErr("events", "events[%d]: %q is not a valid glob", i, ev))
		}
	}
	switch e.Type {
	case TypeWebhook:
		errs = append(errs, e.validateWebhook(ctx, checkURL, checkTemplate)...)
	case TypeFacebookCAPI:
		errs = append(errs, e.validateCAPI(ctx, checkURL)...)
	default:
		errs = append(errs, fieldErr("type", "%q is not one of webhook, facebook_capi", e.Type))
	}
	if e.Concurrency < 0 || e.Concurrency > 256 {
		errs = append(errs, fieldErr("concurrency", "%d is not between 0 and 256", e.Concurrency))
	}
	if r := e.DefaultRegion; r != "" && (len(r) != 2 || strings.ToUpper(r) != r) {
		errs = append(errs, fieldErr("default_region", "%q is not an ISO 3166 alpha-2 code like \"IN\"", r))
	}
	if len(e.RetrySchedule) > 20 {
		errs = append(errs, fieldErr("retry_schedule", "at most 20 steps"))
	}
	for i, s := range e.RetrySchedule {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > maxRetryStep {
			errs = append(errs, fieldErr("retry_schedule", "retry_schedule[%d]: %q is not a duration between 0 and 168h", i, s))
		}
	}
	return errs
}

func (e *Endpoint) validateWebhook(ctx context.Context, checkURL func(context.Context, string) error, checkTemplate func(string) error) []error {
	var errs []error
	if err := checkHTTPURL(ctx, e.URL, checkURL); err != nil {
		errs = append(errs, fieldErr("url", "%v", err))
	}
	switch e.Auth {
	case AuthSignature:
		if err := checkSecret(e.Secret); err != nil {
			errs = append(errs, fieldErr("secret", "%v", err))
		}
	case AuthBearer, AuthAPIKey:
		if e.Token == "" || strings.ContainsAny(e.Token, "\r\n") || len(e.Token) > 4096 {
			errs = append(errs, fieldErr("token", "required, one line, at most 4096 characters"))
		}
	case AuthNone:
	default:
		errs = append(errs, fieldErr("auth", "%q is not one of signature, bearer, api_key, none", e.Auth))
	}
	if strings.ContainsAny(e.APIKeyHeader, " :\r\n") {
		errs = append(errs, fieldErr("api_key_header", "%q is not a header name", e.APIKeyHeader))
	}
	for k, v := range e.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n") || strings.ContainsAny(v, "\r\n") {
			errs = append(errs, fieldErr("headers", "%q: not a valid header", k))
		}
	}
	if len(e.Template) > 64<<10 {
		errs = append(errs, fieldErr("template", "longer than 64 KiB"))
	} else if e.Template != "" && checkTemplate != nil {
		if err := checkTemplate(e.Template); err != nil {
			errs = append(errs, fieldErr("template", "%v", err))
		}
	}
	for f, v := range map[string]string{"pixel_id": e.PixelID, "access_token": e.AccessToken} {
		if v != "" {
			errs = append(errs, fieldErr(f, "only for type facebook_capi"))
		}
	}
	return errs
}

func (e *Endpoint) validateCAPI(ctx context.Context, checkURL func(context.Context, string) error) []error {
	var errs []error
	if e.PixelID == "" || strings.Trim(e.PixelID, "0123456789") != "" {
		errs = append(errs, fieldErr("pixel_id", "required, digits only"))
	}
	if e.AccessToken == "" || strings.ContainsAny(e.AccessToken, "\r\n ") {
		errs = append(errs, fieldErr("access_token", "required, without spaces"))
	}
	if !apiVersionPattern.MatchString(e.APIVersion) {
		errs = append(errs, fieldErr("api_version", "%q is not like v24.0", e.APIVersion))
	}
	if err := checkHTTPURL(ctx, e.GraphURL, checkURL); err != nil {
		errs = append(errs, fieldErr("graph_url", "%v", err))
	}
	if e.URL != "" {
		errs = append(errs, fieldErr("url", "not used by type facebook_capi (see graph_url)"))
	}
	if e.Template != "" {
		errs = append(errs, fieldErr("template", "only for type webhook"))
	}
	if len(e.Headers) > 0 || e.APIKeyHeader != "" {
		errs = append(errs, fieldErr("headers", "only for type webhook"))
	}
	return errs
}

func checkHTTPURL(ctx context.Context, raw string, checkURL func(context.Context, string) error) error {
	if raw == "" {
		return errors.New("required")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http or https URL")
	}
	if u.User != nil {
		return errors.New("must not carry credentials; use auth")
	}
	if checkURL != nil {
		if err := checkURL(ctx, raw); err != nil {
			return err
		}
	}
	return nil
}
