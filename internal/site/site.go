// Package site describes the websites (tenants) whose events the bridge accepts.
package site

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/popinbridge/bridge/internal/consent"
)

// PIIPolicy says how the ClickHouse sink stores personal data (email, phone,
// name) found in event payloads. Destinations always get the raw values.
type PIIPolicy string

const (
	// PIIHash stores SHA-256 hex of the normalised value (the default).
	PIIHash PIIPolicy = "hash"
	// PIIRaw stores values as received.
	PIIRaw PIIPolicy = "raw"
	// PIIDrop removes the fields.
	PIIDrop PIIPolicy = "drop"
	// PIIEncrypt stores the values encrypted under a key derived from the
	// master key (internal/piicrypt): ClickHouse readers see ciphertext,
	// replays send the original values.
	PIIEncrypt PIIPolicy = "encrypt"
)

// What ClickHouse stores of names (Site.PIINames).
const (
	PIINamesKeep = "keep"
	PIINamesHash = "hash"
	PIINamesDrop = "drop"
)

// What the ClickHouse sink does with an event whose ctx.consent denies
// analytics (Site.AnalyticsDenied).
const (
	// AnalyticsDeniedAnonymous stores it without personal data and without
	// visitor identifiers (the default).
	AnalyticsDeniedAnonymous = "anonymous"
	// AnalyticsDeniedDrop does not store it.
	AnalyticsDeniedDrop = "drop"
)

// Site is one tenant. WriteKey is public: it routes events and limits spam,
// it does not authenticate anyone.
type Site struct {
	ID       string   `yaml:"id" json:"id"`
	WriteKey string   `yaml:"write_key" json:"write_key"`
	Origins  []string `yaml:"origins" json:"origins"`
	// PopinAPIKey is the X-API-KEY Popin's server webhooks must carry. "."
	// (Popin's placeholder for "no key") makes the webhook endpoint
	// unauthenticated for this site and must be set explicitly.
	PopinAPIKey string    `yaml:"popin_api_key" json:"popin_api_key,omitempty"`
	PII         PIIPolicy `yaml:"pii" json:"pii"`
	// PIINames is what ClickHouse stores of names (name, first_name,
	// customer_name, …): keep (default: as the pii policy has always done —
	// in clear under hash and raw, sealed under encrypt, removed under
	// drop), hash (SHA-256 of the normalised name, piinorm.Name; sealed
	// under encrypt, removed under drop) or drop (removed whatever pii says).
	PIINames           string `yaml:"pii_names" json:"pii_names"`
	DefaultPhoneRegion string `yaml:"default_phone_region" json:"default_phone_region,omitempty"`
	// PixelDedup tells the SDK to fire the Meta Pixel with eventID = event id.
	PixelDedup bool `yaml:"pixel_dedup" json:"pixel_dedup"`
	// ConsentMode is opt_out (default: forward unless a purpose a
	// destination needs is denied) or opt_in (only when it is granted); an
	// explicit denial is honoured in both (internal/consent).
	ConsentMode string `yaml:"consent_mode" json:"consent_mode"`
	// AnalyticsDenied is what ClickHouse keeps of an event whose visitor
	// denied analytics: anonymous (default) or drop. Forwarding is decided
	// per destination, independently.
	AnalyticsDenied string `yaml:"analytics_denied" json:"analytics_denied"`
	// Retention overrides the global retention (`retention:`) per data
	// class for this site; unset classes follow the global one.
	Retention Retention `yaml:"retention" json:"retention"`
	// LimitedDataUse, when set, sends every event of the site to Meta's
	// Conversions API with Limited Data Use; an endpoint's own
	// limited_data_use wins over it.
	LimitedDataUse *consent.LimitedDataUse `yaml:"limited_data_use" json:"limited_data_use,omitempty"`
}

// Retention is how many days ClickHouse keeps each class of data; nil
// follows the global setting, 0 keeps it forever.
type Retention struct {
	EventsDays         *int `yaml:"events_days" json:"events_days,omitempty"`
	DeliveriesDays     *int `yaml:"deliveries_days" json:"deliveries_days,omitempty"`
	DeliveryBodiesDays *int `yaml:"delivery_bodies_days" json:"delivery_bodies_days,omitempty"`
}

// ApplyDefaults fills unset fields with their defaults.
func (s *Site) ApplyDefaults() {
	if s.PII == "" {
		s.PII = PIIHash
	}
	if s.PIINames == "" {
		s.PIINames = PIINamesKeep
	}
	if s.ConsentMode == "" {
		s.ConsentMode = consent.OptOut
	}
	if s.AnalyticsDenied == "" {
		s.AnalyticsDenied = AnalyticsDeniedAnonymous
	}
}

// Validate reports every problem with the site at once.
func (s *Site) Validate() error {
	var errs []error
	if s.ID == "" {
		errs = append(errs, errors.New("id: required"))
	} else if strings.ContainsAny(s.ID, " ./*>") {
		errs = append(errs, fmt.Errorf("id %q: must not contain spaces, '.', '/', '*' or '>'", s.ID))
	}
	if s.WriteKey == "" {
		errs = append(errs, errors.New("write_key: required"))
	}
	for _, o := range s.Origins {
		if err := validateOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("origins: %q: %w", o, err))
		}
	}
	switch s.PII {
	case PIIHash, PIIRaw, PIIDrop, PIIEncrypt, "":
	default:
		errs = append(errs, fmt.Errorf("pii: %q is not one of hash, raw, drop, encrypt", s.PII))
	}
	switch s.PIINames {
	case PIINamesKeep, PIINamesHash, PIINamesDrop, "":
	default:
		errs = append(errs, fmt.Errorf("pii_names: %q is not one of keep, hash, drop", s.PIINames))
	}
	switch s.ConsentMode {
	case consent.OptOut, consent.OptIn, "":
	default:
		errs = append(errs, fmt.Errorf("consent_mode: %q is not one of opt_out, opt_in", s.ConsentMode))
	}
	switch s.AnalyticsDenied {
	case AnalyticsDeniedAnonymous, AnalyticsDeniedDrop, "":
	default:
		errs = append(errs, fmt.Errorf("analytics_denied: %q is not one of anonymous, drop", s.AnalyticsDenied))
	}
	for _, d := range []struct {
		key string
		v   *int
	}{{"events_days", s.Retention.EventsDays}, {"deliveries_days", s.Retention.DeliveriesDays}, {"delivery_bodies_days", s.Retention.DeliveryBodiesDays}} {
		if d.v != nil && (*d.v < 0 || *d.v > 36500) {
			errs = append(errs, fmt.Errorf("retention.%s: %d must be between 0 (keep forever) and 36500", d.key, *d.v))
		}
	}
	if s.LimitedDataUse != nil {
		for _, p := range s.LimitedDataUse.Problems() {
			errs = append(errs, fmt.Errorf("limited_data_use.%s: %s", p.Field, p.Msg))
		}
	}
	if r := s.DefaultPhoneRegion; r != "" && (len(r) != 2 || strings.ToUpper(r) != r) {
		errs = append(errs, fmt.Errorf("default_phone_region: %q is not an ISO 3166 alpha-2 code like \"IN\"", r))
	}
	return errors.Join(errs...)
}

func validateOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(strings.Replace(o, "*.", "wildcard.", 1))
	if err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
		return errors.New(`want "scheme://host[:port]", "scheme://*.domain" or "*"`)
	}
	return nil
}

// AllowsOrigin reports whether a browser Origin header value may send events
// for this site. An empty allowlist allows no browser origin.
func (s *Site) AllowsOrigin(origin string) bool {
	for _, o := range s.Origins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
		if i := strings.Index(o, "://*."); i >= 0 {
			scheme, suffix := strings.ToLower(o[:i]), strings.ToLower(o[i+4:]) // suffix keeps the leading '.'
			lo := strings.ToLower(origin)
			if rest, ok := strings.CutPrefix(lo, scheme+"://"); ok {
				if sub, ok := strings.CutSuffix(rest, suffix); ok && subdomain(sub) {
					return true
				}
			}
		}
	}
	return false
}

// subdomain reports whether s is one or more DNS labels ("a", "a.b"):
// what a "*." origin pattern stands for. "" and ".x" are not (an origin
// "https://.acme.com" must not match "https://*.acme.com").
func subdomain(s string) bool {
	if s == "" {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// Registry looks sites up. Implementations are safe for concurrent use; the
// returned Site must not be modified.
type Registry interface {
	ByWriteKey(key string) (*Site, bool)
	ByID(id string) (*Site, bool)
}

// PhoneRegion is the default_phone_region of site id in r: "" when r is
// nil, the site is unknown or it sets none.
func PhoneRegion(r Registry, id string) string {
	if r == nil {
		return ""
	}
	if s, ok := r.ByID(id); ok {
		return s.DefaultPhoneRegion
	}
	return ""
}

// Clone is a deep copy of s: decoding into or changing the copy leaves s
// as it was.
func (s Site) Clone() Site {
	c := s
	c.Origins = slices.Clone(s.Origins)
	c.Retention = Retention{
		EventsDays: clonePtr(s.Retention.EventsDays), DeliveriesDays: clonePtr(s.Retention.DeliveriesDays),
		DeliveryBodiesDays: clonePtr(s.Retention.DeliveryBodiesDays),
	}
	c.LimitedDataUse = clonePtr(s.LimitedDataUse)
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
