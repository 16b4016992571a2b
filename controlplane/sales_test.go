package controlplane

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// A Slack endpoint's url is its credential: sealed in the bucket, read as
// REDACTED, kept when the read is sent back, handed to the engine in full.
// A HubSpot endpoint keeps its access token write-only and shows api_url
// and property_map.
func TestSalesEndpointsAPI(t *testing.T) {
	const hook = "https://hooks.slack.com/services/T1/B1/Zm9vU2VjcmV0"
	f := newFixture(t)
	f.mustSite("acme")
	out := f.mustEndpoint(map[string]any{"id": "sales", "site": "acme", "type": "slack", "url": hook})
	if out["url"] != redacted || out["consent"] != nil {
		t.Fatalf("create answer: url %v consent %v", out["url"], out["consent"])
	}
	_, body := f.do("GET", "/api/v1/endpoints/sales", nil)
	if body["url"] != redacted {
		t.Fatalf("read url %v", body["url"])
	}
	ctx := context.Background()
	kv, err := f.set.NATS.JetStream().KeyValue(ctx, f.cfg.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := kv.Get(ctx, "endpoint.sales")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(rec.Value()), "Zm9vU2VjcmV0") {
		t.Fatalf("stored record holds the webhook URL: %s", rec.Value())
	}
	waitFor(t, "engine gets the webhook URL", func() bool {
		ep, ok := f.eng.endpoint("sales")
		return ok && ep.URL == hook
	})
	// The read sent back keeps the URL; a new one replaces it.
	body["description"] = "sales channel"
	for _, k := range []string{"type", "secret", "previous_secrets"} {
		delete(body, k)
	}
	patch := map[string]any{"url": body["url"], "description": "sales channel", "events": body["events"]}
	if st, b := f.do("PATCH", "/api/v1/endpoints/sales", patch); st != 200 {
		t.Fatalf("patch: %d %v", st, b)
	}
	if ep, _ := f.mgr.store().endpoint("sales"); ep.URL != hook || ep.Description != "sales channel" {
		t.Fatalf("after patch with REDACTED: url %q description %q", ep.URL, ep.Description)
	}
	if st, b := f.do("PATCH", "/api/v1/endpoints/sales", map[string]any{"url": hook + "2"}); st != 200 {
		t.Fatalf("patch: %d %v", st, b)
	}
	if ep, _ := f.mgr.store().endpoint("sales"); ep.URL != hook+"2" {
		t.Fatalf("new url not stored: %q", ep.URL)
	}
	// Errors never repeat the URL.
	st, b := f.do("POST", "/api/v1/endpoints", map[string]any{"id": "bad", "site": "acme", "type": "slack",
		"url": "http://10.0.0.1/services/Zm9vU2VjcmV0", "auth": "bearer"})
	if st != 422 || strings.Contains(b["error"].(map[string]any)["message"].(string), "Zm9vU2VjcmV0") {
		t.Fatalf("invalid slack endpoint: %d %v", st, b)
	}

	hs := f.mustEndpoint(map[string]any{"id": "crm", "site": "acme", "type": "hubspot", "access_token": "pat-na1-SECRET",
		"api_url": "https://api.example.com", "property_map": map[string]string{"utm_source": "popin_utm_source"}})
	if hs["access_token"] != nil || hs["has_access_token"] != true || hs["api_url"] != "https://api.example.com" ||
		!reflect.DeepEqual(hs["property_map"], map[string]any{"utm_source": "popin_utm_source"}) {
		t.Fatalf("hubspot read: %v", hs)
	}
	st, b = f.do("PATCH", "/api/v1/endpoints/crm", map[string]any{"property_map": map[string]string{"utm_source": "email"}})
	if st != 422 || b["error"].(map[string]any)["field"] != "property_map" {
		t.Fatalf("bad property_map: %d %v", st, b)
	}
	st, b = f.do("POST", "/api/v1/endpoints", map[string]any{"id": "crm2", "site": "acme", "type": "hubspot"})
	if st != 422 || b["error"].(map[string]any)["field"] != "access_token" {
		t.Fatalf("hubspot without token: %d %v", st, b)
	}
}

// Every field the endpoint API accepts is in the OpenAPI EndpointInput.
func TestOpenAPIEndpointInputFields(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	props := doc.Components.Schemas["EndpointInput"].Properties
	for _, f := range reflect.VisibleFields(reflect.TypeOf(endpointInput{})) {
		if f.Anonymous {
			continue // its fields are visited as promoted fields
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if _, ok := props[name]; !ok {
			t.Errorf("EndpointInput lacks %q", name)
		}
	}
}
