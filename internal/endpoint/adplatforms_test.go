package endpoint

import (
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func ga4Endpoint(mod func(*Endpoint)) Endpoint {
	return edited(Endpoint{ID: "ga", Site: "acme", Type: TypeGA4, AdPlatforms: AdPlatforms{MeasurementID: "G-ABC123XYZ", APISecret: "s3cr3t"}}, mod)
}

func tiktokEndpoint(mod func(*Endpoint)) Endpoint {
	return edited(Endpoint{ID: "tt", Site: "acme", Type: TypeTikTok, AccessToken: "tok", AdPlatforms: AdPlatforms{PixelCode: "COQDA8RC77U2TMR44LI0"}}, mod)
}

func TestValidateAdPlatforms(t *testing.T) {
	guard := testGuard(t)
	for _, tc := range []struct {
		name      string
		ep        Endpoint
		wantField string
	}{
		{"ga4 minimal", ga4Endpoint(nil), ""},
		{"ga4 eu url", ga4Endpoint(func(e *Endpoint) { e.APIURL = "https://region1.google-analytics.com" }), ""},
		{"ga4 event map", ga4Endpoint(func(e *Endpoint) { e.EventMap = map[string]string{"popin_captured": "generate_lead", "nudge_show": ""} }), ""},
		{"ga4 no measurement id", ga4Endpoint(func(e *Endpoint) { e.MeasurementID = "" }), "measurement_id"},
		{"ga4 stream id not measurement id", ga4Endpoint(func(e *Endpoint) { e.MeasurementID = "1234567890" }), "measurement_id"},
		{"ga4 no secret", ga4Endpoint(func(e *Endpoint) { e.APISecret = "" }), "api_secret"},
		{"ga4 secret spaces", ga4Endpoint(func(e *Endpoint) { e.APISecret = "a b" }), "api_secret"},
		{"ga4 url query", ga4Endpoint(func(e *Endpoint) { e.APIURL = "https://x.example.com/?a=1" }), "api_url"},
		{"ga4 url private", ga4Endpoint(func(e *Endpoint) { e.APIURL = "http://127.0.0.1:1" }), "api_url"},
		{"ga4 event name dash", ga4Endpoint(func(e *Endpoint) { e.EventMap = map[string]string{"popin_captured": "lead-form"} }), "event_map"},
		{"ga4 event name reserved", ga4Endpoint(func(e *Endpoint) { e.EventMap = map[string]string{"popin_captured": "google_lead"} }), "event_map"},
		{"ga4 event name long", ga4Endpoint(func(e *Endpoint) { e.EventMap = map[string]string{"x": "a" + strings.Repeat("b", 40)} }), "event_map"},
		{"ga4 test code", ga4Endpoint(func(e *Endpoint) { e.TestEventCode = "T1" }), "test_event_code"},
		{"ga4 access token", ga4Endpoint(func(e *Endpoint) { e.AccessToken = "x" }), "access_token"},
		{"ga4 url", ga4Endpoint(func(e *Endpoint) { e.URL = "https://x.example.com" }), "url"},
		{"ga4 pixel code", ga4Endpoint(func(e *Endpoint) { e.PixelCode = "COQDA8RC77U2TMR44LI0" }), "pixel_code"},
		{"tiktok minimal", tiktokEndpoint(nil), ""},
		{"tiktok test code and region", tiktokEndpoint(func(e *Endpoint) { e.TestEventCode, e.DefaultRegion = "TEST123", "IN" }), ""},
		{"tiktok event map", tiktokEndpoint(func(e *Endpoint) { e.EventMap = map[string]string{"popin_call_end": "Contact"} }), ""},
		{"tiktok no pixel", tiktokEndpoint(func(e *Endpoint) { e.PixelCode = "" }), "pixel_code"},
		{"tiktok lower pixel", tiktokEndpoint(func(e *Endpoint) { e.PixelCode = "coqda8rc77u2tmr44li0" }), "pixel_code"},
		{"tiktok no token", tiktokEndpoint(func(e *Endpoint) { e.AccessToken = "" }), "access_token"},
		{"tiktok bad region", tiktokEndpoint(func(e *Endpoint) { e.DefaultRegion = "in" }), "default_region"},
		{"tiktok event with space", tiktokEndpoint(func(e *Endpoint) { e.EventMap = map[string]string{"popin_captured": "Submit Form"} }), "event_map"},
		{"tiktok api secret", tiktokEndpoint(func(e *Endpoint) { e.APISecret = "x" }), "api_secret"},
		{"tiktok pixel id", tiktokEndpoint(func(e *Endpoint) { e.PixelID = "123" }), "pixel_id"},
		{"tiktok template", tiktokEndpoint(func(e *Endpoint) { e.Template = `{"a":"b"}` }), "template"},
		{"webhook api url", webhook(func(e *Endpoint) { e.APIURL = "https://x.example.com" }), "api_url"},
		{"capi measurement id", capiEndpoint(func(e *Endpoint) { e.MeasurementID = "G-ABC123XYZ" }), "measurement_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkFirstProblem(t, tc.ep.Validate(Checks{Guard: guard}), tc.wantField)
		})
	}
}

func TestAdPlatformDefaults(t *testing.T) {
	for _, tc := range []struct {
		ep      Endpoint
		url     string
		consent []string
	}{
		{ga4Endpoint(nil), DefaultGA4URL, []string{"analytics"}},
		{tiktokEndpoint(nil), DefaultTikTokURL, []string{"ads"}},
		{tiktokEndpoint(func(e *Endpoint) { e.Consent = []string{} }), DefaultTikTokURL, []string{}},
	} {
		e := tc.ep
		e.ApplyDefaults()
		if e.APIURL != tc.url || !slices.Equal(e.Consent, tc.consent) || e.Auth != "" {
			t.Errorf("%s: api_url %q consent %v auth %q", e.Type, e.APIURL, e.Consent, e.Auth)
		}
	}
}

// TestAdPlatformYAML: the config file's keys are top-level (inlined), and
// a strict decoder (the config's KnownFields) accepts them.
func TestAdPlatformYAML(t *testing.T) {
	src := "id: ga\nsite: acme\ntype: ga4\nmeasurement_id: G-ABC123XYZ\napi_secret: s\napi_url: https://region1.google-analytics.com\n" +
		"pixel_code: COQDA8RC77U2TMR44LI0\n"
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	var e Endpoint
	if err := dec.Decode(&e); err != nil {
		t.Fatal(err)
	}
	if e.MeasurementID != "G-ABC123XYZ" || e.APISecret != "s" || e.APIURL != "https://region1.google-analytics.com" || e.PixelCode == "" {
		t.Fatalf("decoded %+v", e.AdPlatforms)
	}
	if probs := Problems(e.Validate(Checks{})); len(probs) != 1 || probs[0].Field != "pixel_code" {
		t.Fatalf("want only pixel_code refused on ga4, got %v", probs)
	}
}
