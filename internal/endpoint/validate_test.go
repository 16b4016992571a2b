package endpoint

import (
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/signing"
)

var testSecret = signing.NewSecret()

func webhook(mod func(*Endpoint)) Endpoint {
	return edited(Endpoint{ID: "crm", Site: "acme", Type: TypeWebhook, URL: "https://crm.example.com/hook", Secret: testSecret}, mod)
}

func capiEndpoint(mod func(*Endpoint)) Endpoint {
	return edited(Endpoint{ID: "meta", Site: "acme", Type: TypeFacebookCAPI, PixelID: "1234567890", AccessToken: "EAAB123"}, mod)
}

// TestValidate covers every field, including the inputs on which the
// forwarder's, the management API's and the seed's validators used to
// disagree (so check-config passed and serve failed, or the API accepted
// what the forwarder then refused). wantField "" means valid.
func TestValidate(t *testing.T) {
	guard := testGuard(t)
	cases := []validateCase{
		{"minimal webhook", webhook(nil), false, ""},
		{"minimal capi", capiEndpoint(nil), false, ""},
		{"type defaults to webhook", webhook(func(e *Endpoint) { e.Type = "" }), false, ""},
		{"bad id", webhook(func(e *Endpoint) { e.ID = "a b" }), false, "id"},
		{"long id", webhook(func(e *Endpoint) { e.ID = strings.Repeat("a", 65) }), false, "id"},
		{"no site", webhook(func(e *Endpoint) { e.Site = "" }), false, "site"},
		{"bad type", webhook(func(e *Endpoint) { e.Type = "smtp" }), false, "type"},
		{"bad status", webhook(func(e *Endpoint) { e.Status = "sleeping" }), false, "status"},
		{"bad glob", webhook(func(e *Endpoint) { e.Events = []string{"[x"} }), false, "events"},
		{"empty event", webhook(func(e *Endpoint) { e.Events = []string{""} }), false, "events"},
		{"glob ok", webhook(func(e *Endpoint) { e.Events = []string{"popin_call_*", "nudge_show"} }), false, ""},
		// concurrency: forwarder allowed 0-1024, the API 0-256.
		{"concurrency 512", webhook(func(e *Endpoint) { e.Concurrency = 512 }), false, ""},
		{"concurrency 1025", webhook(func(e *Endpoint) { e.Concurrency = 1025 }), false, "concurrency"},
		{"concurrency negative", webhook(func(e *Endpoint) { e.Concurrency = -1 }), false, "concurrency"},
		// retry steps: forwarder allowed 0s and any length, the API refused 0s and > 168h.
		{"retry 0s", webhook(func(e *Endpoint) { e.RetrySchedule = []string{"0s", "1m"} }), false, ""},
		{"retry bad", webhook(func(e *Endpoint) { e.RetrySchedule = []string{"5s", "soon"} }), false, "retry_schedule"},
		{"retry negative", webhook(func(e *Endpoint) { e.RetrySchedule = []string{"-5s"} }), false, "retry_schedule"},
		{"retry too long", webhook(func(e *Endpoint) { e.RetrySchedule = []string{"169h"} }), false, "retry_schedule"},
		{"retry too many", webhook(func(e *Endpoint) { e.RetrySchedule = make([]string, MaxRetrySteps+1) }), false, "retry_schedule"},
		// URLs.
		{"no url", webhook(func(e *Endpoint) { e.URL = "" }), false, "url"},
		{"ftp url", webhook(func(e *Endpoint) { e.URL = "ftp://x" }), false, "url"},
		{"url with user", webhook(func(e *Endpoint) { e.URL = "https://u:p@crm.example.com/" }), false, "url"},
		{"url too long", webhook(func(e *Endpoint) { e.URL = "https://crm.example.com/" + strings.Repeat("a", 2048) }), false, "url"},
		{"ssrf idna dots", webhook(func(e *Endpoint) { e.URL = "http://127。0。0。1/h" }), false, "url"},
		{"url query ok", webhook(func(e *Endpoint) { e.URL = "https://hooks.zapier.com/x?a=1" }), false, ""},
		{"ssrf private", webhook(func(e *Endpoint) { e.URL = "http://10.1.2.3/h" }), false, "url"},
		{"ssrf metadata", webhook(func(e *Endpoint) { e.URL = "http://169.254.169.254/latest" }), false, "url"},
		{"ssrf decimal loopback", webhook(func(e *Endpoint) { e.URL = "http://2130706433/" }), false, "url"},
		// auth and credentials.
		{"bad auth", webhook(func(e *Endpoint) { e.Auth = "magic" }), false, "auth"},
		{"bad secret", webhook(func(e *Endpoint) { e.Secret = "hunter2" }), false, "secret"},
		{"missing secret", webhook(func(e *Endpoint) { e.Secret = "" }), false, "secret"},
		// the config file may omit a secret: the control plane generates it.
		{"missing secret declared", webhook(func(e *Endpoint) { e.Secret = "" }), true, ""},
		{"bad previous secret", webhook(func(e *Endpoint) {
			e.PreviousSecrets = []ExpiringSecret{{Secret: "nope", Expires: time.Now().Add(time.Hour)}}
		}), false, "previous_secrets"},
		{"bearer without token", webhook(func(e *Endpoint) { e.Auth, e.Secret = AuthBearer, "" }), false, "token"},
		{"bearer without token declared", webhook(func(e *Endpoint) { e.Auth, e.Secret = AuthBearer, "" }), true, ""},
		{"token with newline", webhook(func(e *Endpoint) { e.Auth, e.Token = AuthBearer, "a\nb" }), false, "token"},
		{"api key header bad", webhook(func(e *Endpoint) { e.Auth, e.Token, e.APIKeyHeader = AuthAPIKey, "t", "x key" }), false, "api_key_header"},
		{"api key header make", webhook(func(e *Endpoint) { e.Auth, e.Token, e.APIKeyHeader = AuthAPIKey, "t", "x-make-apikey" }), false, ""},
		// headers: the API accepted names the forwarder refused, which
		// stopped every endpoint (issue: hardening #1).
		{"header content-type allowed", webhook(func(e *Endpoint) { e.Headers = map[string]string{"Content-Type": "application/json"} }), false, ""},
		{"header host", webhook(func(e *Endpoint) { e.Headers = map[string]string{"Host": "x"} }), false, "headers"},
		{"header content-length", webhook(func(e *Endpoint) { e.Headers = map[string]string{"Content-Length": "3"} }), false, "headers"},
		{"header webhook-id", webhook(func(e *Endpoint) { e.Headers = map[string]string{"Webhook-Id": "x"} }), false, "headers"},
		{"header parens", webhook(func(e *Endpoint) { e.Headers = map[string]string{"X(A)": "x"} }), false, "headers"},
		{"header non-ascii", webhook(func(e *Endpoint) { e.Headers = map[string]string{"X-Ünï": "x"} }), false, "headers"},
		{"header value newline", webhook(func(e *Endpoint) { e.Headers = map[string]string{"X-A": "a\r\nB: c"} }), false, "headers"},
		// NUL ends a C string and some proxies truncate or split on it.
		{"header value nul inside", webhook(func(e *Endpoint) { e.Headers = map[string]string{"X-A": "a\x00b"} }), false, "headers"},
		{"header value nul only", webhook(func(e *Endpoint) { e.Headers = map[string]string{"X-A": "\x00"} }), false, "headers"},
		{"header value nul trailing", webhook(func(e *Endpoint) { e.Headers = map[string]string{"X-A": "ab\x00"} }), false, "headers"},
		{"header value del", webhook(func(e *Endpoint) { e.Headers = map[string]string{"X-A": "a\x7fb"} }), false, "headers"},
		{"header value tab allowed", webhook(func(e *Endpoint) { e.Headers = map[string]string{"X-A": "a\tb"} }), false, ""},
		{"token with nul", webhook(func(e *Endpoint) { e.Auth, e.Token = AuthBearer, "a\x00b" }), false, "token"},
		{"header authorization with bearer", webhook(func(e *Endpoint) {
			e.Auth, e.Token, e.Headers = AuthBearer, "t", map[string]string{"authorization": "x"}
		}), false, "headers"},
		{"header authorization with signature", webhook(func(e *Endpoint) { e.Headers = map[string]string{"Authorization": "Basic x"} }), false, ""},
		{"plain header ok", webhook(func(e *Endpoint) {
			e.Headers, e.PlainHeaders = map[string]string{"X-Tenant": "a"}, []string{"x-tenant"}
		}), false, ""},
		{"plain header unknown", webhook(func(e *Endpoint) { e.Headers, e.PlainHeaders = map[string]string{"X-Tenant": "a"}, []string{"X-Other"} }), false, "plain_headers"},
		{"consent ok", webhook(func(e *Endpoint) { e.Consent = []string{"ads", "analytics"} }), false, ""},
		{"consent unknown", webhook(func(e *Endpoint) { e.Consent = []string{"marketing"} }), false, "consent"},
		{"template bad", webhook(func(e *Endpoint) { e.Template = "{not json" }), false, "template"},
		{"template ok", webhook(func(e *Endpoint) { e.Template = `{"e":"{{.Name}}"}` }), false, ""},
		{"pixel on webhook", webhook(func(e *Endpoint) { e.PixelID = "1" }), false, "pixel_id"},
		// Conversions API: pixel_id digits only (the forwarder accepted letters).
		{"capi no pixel", capiEndpoint(func(e *Endpoint) { e.PixelID = "" }), false, "pixel_id"},
		{"capi letters pixel", capiEndpoint(func(e *Endpoint) { e.PixelID = "abc123" }), false, "pixel_id"},
		{"capi no token", capiEndpoint(func(e *Endpoint) { e.AccessToken = "" }), false, "access_token"},
		{"capi bad version", capiEndpoint(func(e *Endpoint) { e.APIVersion = "24" }), false, "api_version"},
		{"capi version v", capiEndpoint(func(e *Endpoint) { e.APIVersion = "v" }), false, "api_version"},
		{"capi graph query", capiEndpoint(func(e *Endpoint) { e.GraphURL = "https://graph.example.com/?x=1" }), false, "graph_url"},
		{"capi graph private", capiEndpoint(func(e *Endpoint) { e.GraphURL = "http://127.0.0.1:1/" }), false, "graph_url"},
		{"capi region", capiEndpoint(func(e *Endpoint) { e.DefaultRegion = "india" }), false, "default_region"},
		{"capi region lower", capiEndpoint(func(e *Endpoint) { e.DefaultRegion = "in" }), false, "default_region"},
		{"capi url", capiEndpoint(func(e *Endpoint) { e.URL = "https://x.example.com" }), false, "url"},
		{"capi headers", capiEndpoint(func(e *Endpoint) { e.Headers = map[string]string{"X-A": "b"} }), false, "headers"},
		{"capi event map", capiEndpoint(func(e *Endpoint) { e.EventMap = map[string]string{"popin_captured": "Lead", "nudge_show": ""} }), false, ""},
		{"capi event map bad", capiEndpoint(func(e *Endpoint) { e.EventMap = map[string]string{"": "Lead"} }), false, "event_map"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.ep.Validate(Checks{Guard: guard, Declaration: tc.decl})
			if !checkFirstProblem(t, err, tc.wantField) {
				return
			}
			if !strings.HasPrefix(err.Error(), tc.wantField+": ") {
				t.Fatalf("message %q does not start with the field name", err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	e := Endpoint{ID: "a b", Type: TypeWebhook, URL: "ftp://x", Auth: "magic", Concurrency: -1}
	got := map[string]bool{}
	for _, p := range Problems(e.Validate(Checks{})) {
		got[p.Field] = true
	}
	for _, f := range []string{"id", "site", "url", "auth", "concurrency"} {
		if !got[f] {
			t.Errorf("no problem reported for %s (got %v)", f, got)
		}
	}
}

func TestValidateListPrefixesAndDuplicates(t *testing.T) {
	eps := []Endpoint{webhook(nil), webhook(func(e *Endpoint) { e.URL = "" }), webhook(func(e *Endpoint) { e.Site = "other" })}
	err := ValidateList(eps, map[string]bool{"acme": true}, Checks{})
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"endpoints[1].url: required", `endpoints[1].id: "crm" is used twice`, `endpoints[2].site: "other" is not a configured site`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestSigningSecrets(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	e := Endpoint{Secret: "s0", PreviousSecrets: []ExpiringSecret{
		{Secret: "s1", Expires: now.Add(time.Hour)},
		{Secret: "s2", Expires: now.Add(time.Minute)},
		{Secret: "s3", Expires: now},
	}}
	got := strings.Join(e.SigningSecrets(now), ",")
	if got != "s0,s1,s2" {
		t.Fatalf("SigningSecrets = %s, want s0,s1,s2 (s3 expired)", got)
	}
	if (&Endpoint{}).SigningSecrets(now) != nil {
		t.Fatal("no secret: want nil")
	}
}

func TestMatches(t *testing.T) {
	e := Endpoint{Events: []string{"popin_call_*", "nudge_show"}}
	for name, want := range map[string]bool{"popin_call_end": true, "nudge_show": true, "nudge_open": false} {
		if e.Matches(name) != want {
			t.Errorf("Matches(%s) = %v", name, !want)
		}
	}
	if !(&Endpoint{}).Matches("anything") || !(&Endpoint{Events: []string{"*"}}).Matches("x") {
		t.Error("empty and * match everything")
	}
}

func TestCloneIsDeep(t *testing.T) {
	at := time.Now()
	a := webhook(func(e *Endpoint) {
		e.Headers, e.Events, e.FailingSince = map[string]string{"X-A": "1"}, []string{"a"}, &at
	})
	b := a.Clone()
	b.Headers["X-A"], b.Events[0] = "2", "b"
	*b.FailingSince = at.Add(time.Hour)
	if a.Headers["X-A"] != "1" || a.Events[0] != "a" || !a.FailingSince.Equal(at) {
		t.Fatal("Clone shares memory with the original")
	}
}
