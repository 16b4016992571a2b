package endpoint

import (
	"strings"
	"testing"
)

const slackURL = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX"

func slackEndpoint(mod func(*Endpoint)) Endpoint {
	return edited(Endpoint{ID: "sales", Site: "acme", Type: TypeSlack, URL: slackURL}, mod)
}

func hubspotEndpoint(mod func(*Endpoint)) Endpoint {
	return edited(Endpoint{ID: "hs", Site: "acme", Type: TypeHubSpot, AccessToken: "pat-na1-0000"}, mod)
}

func TestValidateSales(t *testing.T) {
	guard := testGuard(t)
	cases := []validateCase{
		{"minimal slack", slackEndpoint(nil), false, ""},
		{"minimal hubspot", hubspotEndpoint(nil), false, ""},
		{"slack without url", slackEndpoint(func(e *Endpoint) { e.URL = "" }), true, "url"},
		{"slack private url", slackEndpoint(func(e *Endpoint) { e.URL = "http://10.0.0.1/services/x" }), false, "url"},
		{"slack url with query", slackEndpoint(func(e *Endpoint) { e.URL = slackURL + "?x=1" }), false, "url"},
		{"slack with auth", slackEndpoint(func(e *Endpoint) { e.Auth = AuthBearer }), false, "auth"},
		{"slack with template", slackEndpoint(func(e *Endpoint) { e.Template = `{"a":1}` }), false, "template"},
		{"slack with headers", slackEndpoint(func(e *Endpoint) { e.Headers = map[string]string{"X-A": "1"} }), false, "headers"},
		{"slack with transform", slackEndpoint(func(e *Endpoint) { e.Transform = `{"a": 1}` }), false, "transform"},
		{"slack with property_map", slackEndpoint(func(e *Endpoint) { e.PropertyMap = map[string]string{"utm_source": "x"} }), false, "property_map"},
		{"slack consent", slackEndpoint(func(e *Endpoint) { e.Consent = []string{"functional"} }), false, ""},
		{"hubspot without token", hubspotEndpoint(func(e *Endpoint) { e.AccessToken = "" }), true, "access_token"},
		{"hubspot token with space", hubspotEndpoint(func(e *Endpoint) { e.AccessToken = "pat na1" }), false, "access_token"},
		{"hubspot api_url", hubspotEndpoint(func(e *Endpoint) { e.APIURL = "https://api.example.com" }), false, ""},
		{"hubspot api_url private", hubspotEndpoint(func(e *Endpoint) { e.APIURL = "http://127.0.0.1:9" }), false, "api_url"},
		{"hubspot api_url query", hubspotEndpoint(func(e *Endpoint) { e.APIURL = "https://api.example.com/?a=1" }), false, "api_url"},
		{"hubspot with url", hubspotEndpoint(func(e *Endpoint) { e.URL = "https://x.example.com" }), false, "url"},
		{"hubspot with pixel", hubspotEndpoint(func(e *Endpoint) { e.PixelID = "123" }), false, "pixel_id"},
		{"hubspot region", hubspotEndpoint(func(e *Endpoint) { e.DefaultRegion = "IN" }), false, ""},
		{"hubspot bad region", hubspotEndpoint(func(e *Endpoint) { e.DefaultRegion = "India" }), false, "default_region"},
		{"property_map ok", hubspotEndpoint(func(e *Endpoint) {
			e.PropertyMap = map[string]string{"utm_source": "popin_utm_source", "page_url": "popin_page", "data.group": "popin_group"}
		}), false, ""},
		{"property_map bad source", hubspotEndpoint(func(e *Endpoint) { e.PropertyMap = map[string]string{"ip": "ip_address"} }), false, "property_map"},
		{"property_map bad target", hubspotEndpoint(func(e *Endpoint) { e.PropertyMap = map[string]string{"utm_source": "UTM Source"} }), false, "property_map"},
		{"property_map email", hubspotEndpoint(func(e *Endpoint) { e.PropertyMap = map[string]string{"data.work_email": "email"} }), false, "property_map"},
		{"property_map twice", hubspotEndpoint(func(e *Endpoint) {
			e.PropertyMap = map[string]string{"utm_source": "src", "referrer": "src"}
		}), false, "property_map"},
		{"webhook with property_map", webhook(func(e *Endpoint) { e.PropertyMap = map[string]string{"utm_source": "x"} }), false, "property_map"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.ep.Validate(Checks{Guard: guard, Declaration: tc.decl})
			if !checkFirstProblem(t, err, tc.wantField) {
				return
			}
			if strings.Contains(err.Error(), "XXXXSECRETXXXX") {
				t.Fatalf("the error repeats the secret URL: %v", err)
			}
		})
	}
}

func TestSalesDefaultsAndSecretURL(t *testing.T) {
	h := hubspotEndpoint(nil)
	h.ApplyDefaults()
	if h.APIURL != DefaultHubSpotURL || h.Consent != nil || h.Auth != "" {
		t.Fatalf("hubspot defaults: api_url %q consent %v auth %q", h.APIURL, h.Consent, h.Auth)
	}
	s := slackEndpoint(nil)
	s.ApplyDefaults()
	if s.Consent != nil || s.Auth != "" {
		t.Fatalf("slack defaults: consent %v auth %q", s.Consent, s.Auth)
	}
	w := webhook(nil)
	if !s.SecretURL() || h.SecretURL() || w.SecretURL() {
		t.Fatal("only slack urls are secret")
	}
	if got := s.PublicURL(); got != "https://hooks.slack.com/REDACTED" {
		t.Fatalf("PublicURL = %q", got)
	}
	if w.PublicURL() != w.URL {
		t.Fatal("a webhook's url is public")
	}
	c := hubspotEndpoint(func(e *Endpoint) { e.PropertyMap = map[string]string{"utm_source": "a"} }).Clone()
	c2 := c.Clone()
	c2.PropertyMap["utm_source"] = "b"
	if c.PropertyMap["utm_source"] != "a" {
		t.Fatal("Clone shares property_map")
	}
}
