package controlplane

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestSitesAPI(t *testing.T) {
	f := newFixture(t)
	f.mustSite("acme")
	waitFor(t, "registry has acme", func() bool { _, ok := f.sites.ByWriteKey("pk_acme"); return ok })

	cases := []apiCase{
		{"create ok", "POST", "/api/v1/sites", map[string]any{"id": "beta", "write_key": "pk_beta", "popin_api_key": "k3y", "pii": "raw"}, 201, ""},
		{"create generated ids", "POST", "/api/v1/sites", map[string]any{}, 201, ""},
		{"create malformed", "POST", "/api/v1/sites", `{"id":`, 400, ""},
		{"create empty body", "POST", "/api/v1/sites", "", 400, ""},
		{"create dup id", "POST", "/api/v1/sites", map[string]any{"id": "acme", "write_key": "pk_other"}, 409, "id"},
		{"create dup write_key", "POST", "/api/v1/sites", map[string]any{"id": "gamma", "write_key": "pk_acme"}, 409, "write_key"},
		{"create bad id", "POST", "/api/v1/sites", map[string]any{"id": "a b"}, 422, "id"},
		{"create bad pii", "POST", "/api/v1/sites", map[string]any{"id": "d1", "pii": "scramble"}, 422, "pii"},
		{"create bad origin", "POST", "/api/v1/sites", map[string]any{"id": "d2", "origins": []string{"nope"}}, 422, "origins"},
		{"create bad region", "POST", "/api/v1/sites", map[string]any{"id": "d3", "default_phone_region": "india"}, 422, "default_phone_region"},
		{"create bad limited_data_use", "POST", "/api/v1/sites", map[string]any{"id": "d6", "limited_data_use": map[string]any{"country": 2}}, 422, "limited_data_use.country"},
		{"create unknown field", "POST", "/api/v1/sites", map[string]any{"id": "d4", "colour": "red"}, 422, "colour"},
		{"create wrong type", "POST", "/api/v1/sites", map[string]any{"id": "d5", "origins": "https://x.com"}, 422, "origins"},
		{"get ok", "GET", "/api/v1/sites/acme", nil, 200, ""},
		{"get unknown", "GET", "/api/v1/sites/nope", nil, 404, "id"},
		{"patch ok", "PATCH", "/api/v1/sites/acme", map[string]any{"origins": []string{"https://*.acme.com"}, "popin_api_key": "new"}, 200, ""},
		{"patch id", "PATCH", "/api/v1/sites/acme", map[string]any{"id": "other"}, 422, "id"},
		{"patch bad", "PATCH", "/api/v1/sites/acme", map[string]any{"pii": 3}, 422, "pii"},
		{"patch unknown", "PATCH", "/api/v1/sites/nope", map[string]any{"pii": "raw"}, 404, "id"},
		{"patch malformed", "PATCH", "/api/v1/sites/acme", `[1]`, 400, ""},
		{"list bad limit", "GET", "/api/v1/sites?limit=0", nil, 422, "limit"},
		{"list bad cursor", "GET", "/api/v1/sites?cursor=!!", nil, 422, "cursor"},
		{"delete unknown", "DELETE", "/api/v1/sites/nope", nil, 404, "id"},
		{"wrong method", "PUT", "/api/v1/sites/acme", nil, 405, ""},
		{"unknown path", "GET", "/api/v1/nothing", nil, 404, ""},
	}
	f.runCases(t, cases)
	_, body := f.do("GET", "/api/v1/sites/acme", nil)
	if _, ok := body["popin_api_key"]; ok || body["popin_api_key_set"] != true {
		t.Fatalf("popin_api_key leaked or not flagged: %v", body)
	}
	waitFor(t, "registry sees patched origins", func() bool {
		s, ok := f.sites.ByID("acme")
		return ok && s.AllowsOrigin("https://shop.acme.com") && s.PopinAPIKey == "new"
	})

	// Pagination: 3 sites (acme, beta, generated), pages of 2.
	st, p1 := f.do("GET", "/api/v1/sites?limit=2", nil)
	if st != 200 || len(p1["data"].([]any)) != 2 || p1["next_cursor"] == "" {
		t.Fatalf("page 1: %d %v", st, p1)
	}
	_, p2 := f.do("GET", "/api/v1/sites?limit=2&cursor="+p1["next_cursor"].(string), nil)
	if len(p2["data"].([]any)) != 1 || p2["next_cursor"] != "" {
		t.Fatalf("page 2: %v", p2)
	}

	// A site with endpoints cannot be deleted.
	f.mustEndpoint(map[string]any{"id": "e1", "site": "beta", "url": "https://crm.example.com/h"})
	if st, body := f.do("DELETE", "/api/v1/sites/beta", nil); st != 409 {
		t.Fatalf("delete in-use site: %d %v", st, body)
	}
	f.do("DELETE", "/api/v1/endpoints/e1", nil)
	if st, _ := f.do("DELETE", "/api/v1/sites/beta", nil); st != 204 {
		t.Fatalf("delete site: %d", st)
	}
	waitFor(t, "registry drops beta", func() bool { _, ok := f.sites.ByID("beta"); return !ok })
}

func TestEndpointsAPI(t *testing.T) {
	f := newFixture(t)
	f.mustSite("acme")
	created := f.mustEndpoint(map[string]any{"id": "crm", "site": "acme", "url": "https://crm.example.com/hooks",
		"events": []string{"popin_captured", "popin_call_*"}})
	secret, _ := created["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") || created["status"] != "active" || created["auth"] != "signature" {
		t.Fatalf("create answer: %v", created)
	}
	bearer := f.mustEndpoint(map[string]any{"site": "acme", "url": "https://crm.example.com/b", "auth": "bearer"})
	if tok, _ := bearer["token"].(string); tok == "" || bearer["id"] == "" {
		t.Fatalf("bearer create: %v", bearer)
	}
	cases := []apiCase{
		{"dup", "POST", "/api/v1/endpoints", map[string]any{"id": "crm", "site": "acme", "url": "https://a.example.com"}, 409, "id"},
		{"no site", "POST", "/api/v1/endpoints", map[string]any{"url": "https://a.example.com"}, 422, "site"},
		{"unknown site", "POST", "/api/v1/endpoints", map[string]any{"site": "zzz", "url": "https://a.example.com"}, 422, "site"},
		{"no url", "POST", "/api/v1/endpoints", map[string]any{"site": "acme"}, 422, "url"},
		{"bad url", "POST", "/api/v1/endpoints", map[string]any{"site": "acme", "url": "ftp://x"}, 422, "url"},
		{"ssrf", "POST", "/api/v1/endpoints", map[string]any{"site": "acme", "url": "http://10.1.2.3/h"}, 422, "url"},
		{"ssrf metadata", "POST", "/api/v1/endpoints", map[string]any{"site": "acme", "url": "http://169.254.169.254/latest"}, 422, "url"},
		{"allowed private", "POST", "/api/v1/endpoints", map[string]any{"site": "acme", "url": "http://127.0.0.1:9/h"}, 201, ""},
		{"bad auth", "POST", "/api/v1/endpoints", map[string]any{"site": "acme", "url": "https://a.example.com", "auth": "magic"}, 422, "auth"},
		{"bad secret", "POST", "/api/v1/endpoints", map[string]any{"site": "acme", "url": "https://a.example.com", "secret": "hunter2"}, 422, "secret"},
		{"bad glob", "POST", "/api/v1/endpoints", map[string]any{"site": "acme", "url": "https://a.example.com", "events": []string{"[x"}}, 422, "events"},
		{"bad retry", "POST", "/api/v1/endpoints", map[string]any{"site": "acme", "url": "https://a.example.com", "retry_schedule": []string{"5s", "soon"}}, 422, "retry_schedule"},
		{"bad type", "POST", "/api/v1/endpoints", map[string]any{"site": "acme", "type": "smtp"}, 422, "type"},
		{"capi no pixel", "POST", "/api/v1/endpoints", map[string]any{"site": "acme", "type": "facebook_capi", "access_token": "EAAB"}, 422, "pixel_id"},
		{"capi ok", "POST", "/api/v1/endpoints", map[string]any{"id": "meta", "site": "acme", "type": "facebook_capi", "pixel_id": "123", "access_token": "EAABxyz"}, 201, ""},
		{"new disabled", "POST", "/api/v1/endpoints", map[string]any{"site": "acme", "url": "https://a.example.com", "status": "disabled"}, 422, "status"},
		{"unknown field", "POST", "/api/v1/endpoints", map[string]any{"site": "acme", "url": "https://a.example.com", "color": 1}, 422, "color"},
		{"malformed", "POST", "/api/v1/endpoints", `{`, 400, ""},
		{"get unknown", "GET", "/api/v1/endpoints/nope", nil, 404, "id"},
		{"patch unknown", "PATCH", "/api/v1/endpoints/nope", map[string]any{"status": "paused"}, 404, "id"},
		{"patch secret", "PATCH", "/api/v1/endpoints/crm", map[string]any{"secret": "whsec_x"}, 422, "secret"},
		{"patch type", "PATCH", "/api/v1/endpoints/crm", map[string]any{"type": "facebook_capi"}, 422, "type"},
		{"patch status bad", "PATCH", "/api/v1/endpoints/crm", map[string]any{"status": "sleeping"}, 422, "status"},
		{"patch url ssrf", "PATCH", "/api/v1/endpoints/crm", map[string]any{"url": "http://192.168.1.1/"}, 422, "url"},
		{"patch id", "PATCH", "/api/v1/endpoints/crm", map[string]any{"id": "x"}, 422, "id"},
		{"patch ok", "PATCH", "/api/v1/endpoints/crm", map[string]any{"description": "CRM", "retry_schedule": []string{"1s", "1m"}}, 200, ""},
		{"list filter", "GET", "/api/v1/endpoints?site=acme&status=active", nil, 200, ""},
		{"list bad status", "GET", "/api/v1/endpoints?status=zzz", nil, 422, "status"},
		{"rotate bad overlap", "POST", "/api/v1/endpoints/crm/rotate-secret", map[string]any{"overlap": "forever"}, 422, "overlap"},
		{"rotate non-signing", "POST", "/api/v1/endpoints/meta/rotate-secret", nil, 409, ""},
		{"rotate unknown", "POST", "/api/v1/endpoints/nope/rotate-secret", nil, 404, "id"},
		{"rotate unknown field", "POST", "/api/v1/endpoints/crm/rotate-secret", map[string]any{"ttl": "1h"}, 422, "ttl"},
		{"delete unknown", "DELETE", "/api/v1/endpoints/nope", nil, 404, "id"},
	}
	f.runCases(t, cases)

	// Reads never carry credentials.
	for _, path := range []string{"/api/v1/endpoints/crm", "/api/v1/endpoints/meta", "/api/v1/endpoints"} {
		_, body := f.do("GET", path, nil)
		raw, _ := json.Marshal(body)
		for _, k := range []string{`"secret"`, `"token"`, `"access_token"`, secret, "EAABxyz", `"previous_secrets"`} {
			if strings.Contains(string(raw), k) {
				t.Fatalf("%s leaks %s: %s", path, k, raw)
			}
		}
	}
	_, body := f.do("GET", "/api/v1/endpoints/crm", nil)
	if body["has_secret"] != true || body["description"] != "CRM" {
		t.Fatalf("read: %v", body)
	}

	// Rotation: new secret once, old one keeps signing for the overlap.
	st, rot := f.do("POST", "/api/v1/endpoints/crm/rotate-secret", map[string]any{"overlap": "1h"})
	newSecret, _ := rot["secret"].(string)
	if st != 200 || !strings.HasPrefix(newSecret, "whsec_") || newSecret == secret {
		t.Fatalf("rotate: %d %v", st, rot)
	}
	exp, err := time.Parse(time.RFC3339, rot["previous_expires_at"].(string))
	if err != nil || exp.Sub(*f.now) != time.Hour {
		t.Fatalf("previous_expires_at %v (%v)", rot["previous_expires_at"], err)
	}
	waitFor(t, "engine gets both secrets", func() bool {
		e, ok := f.eng.endpoint("crm")
		s := e.SigningSecrets(time.Now())
		return ok && len(s) == 2 && s[0] == newSecret && s[1] == secret
	})
	_, body = f.do("GET", "/api/v1/endpoints/crm", nil)
	if body["previous_secret_expires_at"] == nil {
		t.Fatalf("no previous_secret_expires_at: %v", body)
	}

	// Pause and resume reach the engine.
	for _, status := range []string{"paused", "active"} {
		if st, body := f.do("PATCH", "/api/v1/endpoints/crm", map[string]any{"status": status}); st != 200 || body["status"] != status {
			t.Fatalf("patch %s: %d %v", status, st, body)
		}
		waitFor(t, "engine sees "+status, func() bool { e, _ := f.eng.endpoint("crm"); return e.Status == status })
	}

	// Switching auth generates a token, shown once.
	st, body = f.do("PATCH", "/api/v1/endpoints/crm", map[string]any{"auth": "api_key"})
	if st != 200 || body["token"] == nil || body["has_secret"] == true {
		t.Fatalf("auth switch: %d %v", st, body)
	}
	if st, body := f.do("POST", "/api/v1/endpoints/crm/rotate-secret", nil); st != 409 || errCode(body) != "not_signing" {
		t.Fatalf("rotate api_key endpoint: %d %v", st, body)
	}
	if st, _ := f.do("DELETE", "/api/v1/endpoints/crm", nil); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	waitFor(t, "engine drops crm", func() bool { _, ok := f.eng.endpoint("crm"); return !ok })
}

func TestTestSendAndDisabledEndpointReceivesNothing(t *testing.T) {
	f := newFixture(t)
	f.mustSite("acme")
	rcv := newReceiver(t, 200)
	created := f.mustEndpoint(map[string]any{"id": "crm", "site": "acme", "url": rcv.URL + "/hook", "events": []string{"popin_captured"}})
	st, a := f.do("POST", "/api/v1/endpoints/crm/test", nil)
	if st != 200 || a["ok"] != true || a["status_code"] != float64(200) || a["test"] != true {
		t.Fatalf("test: %d %v", st, a)
	}
	if rcv.count() != 1 {
		t.Fatalf("receiver got %d", rcv.count())
	}
	wh, _ := standardwebhooks.NewWebhook(created["secret"].(string))
	if err := wh.Verify(rcv.bodies[0], rcv.hdrs[0]); err != nil {
		t.Fatalf("test send signature: %v", err)
	}
	var sent map[string]any
	_ = json.Unmarshal(rcv.bodies[0], &sent)
	if sent["type"] != "popin_captured" {
		t.Fatalf("sample type %v", sent["type"])
	}
	if st, body := f.do("POST", "/api/v1/endpoints/crm/test", map[string]any{"event": "no_such_event"}); st != 422 || errField(body) != "event" {
		t.Fatalf("unknown test event: %d %v", st, body)
	}
	if st, _ := f.do("POST", "/api/v1/endpoints/nope/test", nil); st != 404 {
		t.Fatalf("test unknown: %d", st)
	}

	// Disabled: the engine is told, and nothing is sent on its behalf.
	if st, _ := f.do("PATCH", "/api/v1/endpoints/crm", map[string]any{"status": "disabled"}); st != 200 {
		t.Fatal("disable")
	}
	waitFor(t, "engine sees disabled", func() bool { e, _ := f.eng.endpoint("crm"); return !e.Active() })
	for _, req := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/endpoints/crm/test", nil},
		{"POST", "/api/v1/endpoints/crm/replay", map[string]any{"from": "2026-01-01T00:00:00Z"}},
		{"POST", "/api/v1/endpoints/crm/retry-failed?since=24h", nil},
	} {
		if st, body := f.do(req.method, req.path, req.body); st != http.StatusConflict || errCode(body) != "endpoint_disabled" {
			t.Fatalf("%s on disabled: %d %v", req.path, st, body)
		}
	}
	if rcv.count() != 1 || len(f.eng.tests) != 1 || len(f.eng.replayed) != 0 || len(f.eng.retries) != 0 {
		t.Fatalf("disabled endpoint received something: rcv=%d tests=%d", rcv.count(), len(f.eng.tests))
	}
	// Re-enable.
	if st, body := f.do("PATCH", "/api/v1/endpoints/crm", map[string]any{"status": "active"}); st != 200 || body["disabled_reason"] != nil {
		t.Fatalf("re-enable: %d %v", st, body)
	}
	if st, _ := f.do("POST", "/api/v1/endpoints/crm/test", nil); st != 200 || rcv.count() != 2 {
		t.Fatalf("test after re-enable: %d rcv=%d", st, rcv.count())
	}
}

func TestEventTypes(t *testing.T) {
	f := newFixture(t)
	st, body := f.do("GET", "/api/v1/event-types", nil)
	data, _ := body["data"].([]any)
	if st != 200 || len(data) < 20 {
		t.Fatalf("event-types: %d %d", st, len(data))
	}
	first := data[0].(map[string]any)
	if first["name"] == "" || first["source"] == "" || first["sample"] == nil {
		t.Fatalf("entry: %v", first)
	}
}

func TestNoHistoryOrEngineAnswers503(t *testing.T) {
	f := newFixture(t, func(_ *Config, s *Settings) { s.Engine = nil })
	f.mustSite("acme")
	f.mustEndpoint(map[string]any{"id": "crm", "site": "acme", "url": "https://crm.example.com/h"})
	for _, p := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/endpoints/crm/test", nil},
		{"GET", "/api/v1/endpoints/crm/deliveries", nil},
		{"GET", "/api/v1/endpoints/crm/stats", nil},
		{"GET", "/api/v1/deliveries/d1", nil},
		{"POST", "/api/v1/deliveries/d1/retry", nil},
		{"POST", "/api/v1/endpoints/crm/retry-failed?since=1h", nil},
		{"POST", "/api/v1/endpoints/crm/replay", map[string]any{"from": "1h"}},
	} {
		if st, body := f.do(p.method, p.path, p.body); st != 503 {
			t.Errorf("%s %s: %d %v", p.method, p.path, st, body)
		}
	}
}

// An endpoint the engine left out says why in reads (delivery_error).
func TestEndpointShowsDeliveryError(t *testing.T) {
	f := newFixture(t)
	f.mustSite("acme")
	f.mustEndpoint(map[string]any{"id": "crm", "site": "acme", "url": "https://crm.example.com/h"})
	if _, body := f.do("GET", "/api/v1/endpoints/crm", nil); body["delivery_error"] != nil {
		t.Fatalf("healthy endpoint shows delivery_error: %v", body)
	}
	f.eng.mu.Lock()
	f.eng.problems = map[string]string{"crm": "headers: \"Host\" is set by the HTTP client"}
	f.eng.mu.Unlock()
	if _, body := f.do("GET", "/api/v1/endpoints/crm", nil); body["delivery_error"] != "headers: \"Host\" is set by the HTTP client" {
		t.Fatalf("delivery_error not shown: %v", body)
	}
}

// A PATCH that is refused leaves the stored site as it was, the values it
// would have changed through pointers (retention days, Limited Data Use)
// included; an accepted one changes them.
func TestSitePatchRefusedChangesNothing(t *testing.T) {
	f := newFixture(t)
	if st, body := f.do("POST", "/api/v1/sites", map[string]any{"id": "acme", "write_key": "pk_acme",
		"retention": map[string]any{"events_days": 30}, "limited_data_use": map[string]any{"country": 1, "state": 1000}}); st != 201 {
		t.Fatalf("create: %d %v", st, body)
	}
	refused := map[string]any{"retention": map[string]any{"events_days": -1}, "limited_data_use": map[string]any{"country": 1, "state": 5}}
	if st, body := f.do("PATCH", "/api/v1/sites/acme", refused); st != 422 {
		t.Fatalf("invalid patch: %d %v", st, body)
	}
	_, got := f.do("GET", "/api/v1/sites/acme", nil)
	if r := got["retention"].(map[string]any); r["events_days"] != float64(30) {
		t.Errorf("retention after a refused patch: %v, want events_days 30", r)
	}
	if l := got["limited_data_use"].(map[string]any); l["state"] != float64(1000) {
		t.Errorf("limited_data_use after a refused patch: %v, want state 1000", l)
	}
	if st, body := f.do("PATCH", "/api/v1/sites/acme", map[string]any{"limited_data_use": nil, "retention": map[string]any{"events_days": 7}}); st != 200 {
		t.Fatalf("valid patch: %d %v", st, body)
	}
	_, got = f.do("GET", "/api/v1/sites/acme", nil)
	if _, ok := got["limited_data_use"]; ok || got["retention"].(map[string]any)["events_days"] != float64(7) {
		t.Errorf("after a valid patch: %v, want no limited_data_use and events_days 7", got)
	}
}
