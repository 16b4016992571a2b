package endpoint

import (
	"regexp"
	"strings"

	"github.com/popinbridge/bridge/internal/consent"
)

// Ad-platform endpoint types besides the Conversions API.
const (
	// TypeGA4 sends events to Google Analytics 4 (Measurement Protocol).
	TypeGA4 = "ga4"
	// TypeTikTok sends events to the TikTok Events API.
	TypeTikTok = "tiktok"
)

// Default API base URLs of the ad-platform types (api_url).
const (
	DefaultGA4URL    = "https://www.google-analytics.com"
	DefaultTikTokURL = "https://business-api.tiktok.com"
)

// AdPlatforms are the fields of the ga4 and tiktok types. They are inlined
// in Endpoint (JSON and YAML keys at the top level); event_map,
// test_event_code (tiktok), default_region (tiktok) and access_token
// (tiktok) are the Endpoint's own fields, shared with facebook_capi.
type AdPlatforms struct {
	// MeasurementID is the GA4 web stream's measurement id ("G-…").
	MeasurementID string `json:"measurement_id,omitempty" yaml:"measurement_id"`
	// APISecret is the GA4 Measurement Protocol API secret: a credential,
	// sealed at rest and never returned by reads.
	APISecret string `json:"api_secret,omitempty" yaml:"api_secret"`
	// PixelCode is the TikTok pixel's code (event_source_id).
	PixelCode string `json:"pixel_code,omitempty" yaml:"pixel_code"`
}

var (
	measurementIDPattern = regexp.MustCompile(`^G-[A-Z0-9]{4,20}$`)
	pixelCodePattern     = regexp.MustCompile(`^[A-Z0-9]{8,32}$`)
	// ga4EventName: GA4 names are letters, digits and underscores,
	// starting with a letter, at most 40 characters.
	ga4EventName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,39}$`)
)

// adPlatformDefaults fills the consent and api_url of the ga4 and tiktok
// types: GA4 needs analytics consent, TikTok ads consent (as the
// Conversions API).
func (e *Endpoint) adPlatformDefaults() {
	switch e.Type {
	case TypeGA4:
		if e.Consent == nil {
			e.Consent = []string{consent.Analytics}
		}
		if e.APIURL == "" {
			e.APIURL = DefaultGA4URL
		}
	case TypeTikTok:
		if e.Consent == nil {
			e.Consent = []string{consent.Ads}
		}
		if e.APIURL == "" {
			e.APIURL = DefaultTikTokURL
		}
	}
}

func (x *Endpoint) validateGA4(c Checks) []error {
	var errs []error
	if !measurementIDPattern.MatchString(x.MeasurementID) {
		errs = append(errs, fieldErr("measurement_id", "%q: required, the web stream's measurement id like \"G-ABC123XYZ\"", x.MeasurementID))
	}
	if !validCredential(x.APISecret) {
		errs = append(errs, fieldErr("api_secret", "required, without spaces, at most %d characters", maxToken))
	}
	if err := checkURL(x.APIURL, c.Guard, false); err != nil {
		errs = append(errs, fieldErr("api_url", "%v", err))
	}
	for k, v := range x.EventMap {
		reserved := strings.HasPrefix(v, "ga_") || strings.HasPrefix(v, "google_") || strings.HasPrefix(v, "firebase_")
		if k == "" || len(k) > maxEventPattern || v != "" && (!ga4EventName.MatchString(v) || reserved) {
			errs = append(errs, fieldErr("event_map", "%q: names of 1 to %d characters mapped to a GA4 event name (letters, digits, '_', starting with a letter, at most 40, not ga_/google_/firebase_…; \"\" drops the event)", k, maxEventPattern))
		}
	}
	if x.TestEventCode != "" {
		errs = append(errs, fieldErr("test_event_code", "not used by type ga4 (validate with GA4's /debug/mp/collect)"))
	}
	errs = append(errs, x.notFor(TypeGA4, "access_token", x.AccessToken != "", "default_region", x.DefaultRegion != "")...)
	return errs
}

func (x *Endpoint) validateTikTok(c Checks) []error {
	var errs []error
	if !pixelCodePattern.MatchString(x.PixelCode) {
		errs = append(errs, fieldErr("pixel_code", "%q: required, the pixel code TikTok shows (capital letters and digits)", x.PixelCode))
	}
	if !validCredential(x.AccessToken) {
		errs = append(errs, fieldErr("access_token", "required, without spaces, at most %d characters", maxToken))
	}
	if err := checkURL(x.APIURL, c.Guard, false); err != nil {
		errs = append(errs, fieldErr("api_url", "%v", err))
	}
	if r := x.DefaultRegion; r != "" && (len(r) != 2 || strings.ToUpper(r) != r || strings.Trim(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
		errs = append(errs, fieldErr("default_region", "%q is not an ISO 3166 alpha-2 code like \"IN\"", r))
	}
	if len(x.TestEventCode) > 64 || strings.ContainsAny(x.TestEventCode, " \t\r\n") {
		errs = append(errs, fieldErr("test_event_code", "at most 64 characters, without spaces"))
	}
	for k, v := range x.EventMap {
		if k == "" || len(k) > maxEventPattern || len(v) > 64 || strings.ContainsAny(v, " \t\r\n") || !validHeaderValue(v) {
			errs = append(errs, fieldErr("event_map", "%q: names of 1 to %d characters mapped to a TikTok event name (\"\" drops the event)", k, maxEventPattern))
		}
	}
	errs = append(errs, x.notFor(TypeTikTok)...)
	return errs
}

// notFor refuses the fields of other types on an endpoint of type t: the
// webhook and Conversions API fields, then the extra pairs (field name,
// whether it is set).
func (x *Endpoint) notFor(t string, extra ...any) []error {
	var errs []error
	set := []any{"url", x.URL != "", "auth", x.Auth != "", "template", x.Template != "",
		"headers", len(x.Headers) > 0 || x.APIKeyHeader != "", "secret", x.Secret != "", "token", x.Token != "",
		"pixel_id", x.PixelID != "", "graph_url", x.GraphURL != "", "api_version", x.APIVersion != "",
		"limited_data_use", x.LimitedDataUse != nil}
	set = append(set, extra...)
	for i := 0; i+1 < len(set); i += 2 {
		if on, _ := set[i+1].(bool); on {
			errs = append(errs, fieldErr(set[i].(string), "not used by type %s", t))
		}
	}
	return errs
}

// validateAdFields refuses the ga4 and tiktok fields on endpoints of other
// types.
func (x *Endpoint) validateAdFields() []error {
	var errs []error
	if x.Type != TypeGA4 && x.MeasurementID != "" {
		errs = append(errs, fieldErr("measurement_id", "only for type ga4"))
	}
	if x.Type != TypeGA4 && x.APISecret != "" {
		errs = append(errs, fieldErr("api_secret", "only for type ga4"))
	}
	if x.Type != TypeTikTok && x.PixelCode != "" {
		errs = append(errs, fieldErr("pixel_code", "only for type tiktok"))
	}
	if x.Type != TypeGA4 && x.Type != TypeTikTok && x.Type != TypeHubSpot && x.APIURL != "" {
		errs = append(errs, fieldErr("api_url", "only for types ga4, tiktok and hubspot"))
	}
	return errs
}

// validCredential: a token sent in a URL, header or body; non-empty, no
// white space, bounded.
func validCredential(s string) bool {
	return s != "" && len(s) <= maxToken && !strings.ContainsAny(s, " \t\r\n") && validHeaderValue(s)
}
