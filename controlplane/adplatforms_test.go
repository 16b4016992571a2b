package controlplane

import (
	"context"
	"strings"
	"testing"
)

// TestAdPlatformEndpoints: ga4 and tiktok endpoints through the API — their
// credentials (api_secret, access_token) are sealed at rest, shown only as
// has_*, kept across a PATCH, and reach the delivery engine.
func TestAdPlatformEndpoints(t *testing.T) {
	f := newFixture(t)
	f.mustSite("acme")
	ga := f.mustEndpoint(map[string]any{"id": "ga", "site": "acme", "type": "ga4", "measurement_id": "G-ABC123XYZ", "api_secret": "GA-SECRET-value"})
	tt := f.mustEndpoint(map[string]any{"id": "tt", "site": "acme", "type": "tiktok", "pixel_code": "COQDA8RC77U2TMR44LI0", "access_token": "TT-TOKEN-value"})
	if ga["has_api_secret"] != true || ga["api_secret"] != nil || ga["api_url"] != "https://www.google-analytics.com" {
		t.Fatalf("ga4 view: %v", ga)
	}
	if c, _ := ga["consent"].([]any); len(c) != 1 || c[0] != "analytics" {
		t.Fatalf("ga4 consent default: %v", ga["consent"])
	}
	if tt["has_access_token"] != true || tt["access_token"] != nil || tt["pixel_code"] != "COQDA8RC77U2TMR44LI0" {
		t.Fatalf("tiktok view: %v", tt)
	}
	if st, body := f.do("POST", "/api/v1/endpoints", map[string]any{"site": "acme", "type": "ga4", "measurement_id": "123"}); st != 422 || errField(body) != "measurement_id" {
		t.Fatalf("bad ga4: %d %v", st, body)
	}
	if st, body := f.do("PATCH", "/api/v1/endpoints/ga", map[string]any{"measurement_id": "G-NEW456"}); st != 200 || body["has_api_secret"] != true {
		t.Fatalf("patch: %d %v", st, body)
	}
	kv, err := f.set.NATS.JetStream().KeyValue(context.Background(), f.cfg.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"endpoint.ga", "endpoint.tt"} {
		e, err := kv.Get(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		raw := string(e.Value())
		if !strings.Contains(raw, `"sealed":"v1:`) || strings.Contains(raw, "GA-SECRET-value") || strings.Contains(raw, "TT-TOKEN-value") {
			t.Fatalf("%s: credential not sealed: %s", key, raw)
		}
	}
	waitFor(t, "engine gets the ga4 secret", func() bool {
		e, ok := f.eng.endpoint("ga")
		return ok && e.APISecret == "GA-SECRET-value" && e.MeasurementID == "G-NEW456"
	})
}
