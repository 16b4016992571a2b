package controlplane

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// Custom header values are credentials unless marked plain: sealed in the
// bucket, shown as REDACTED, kept when a read is sent back, and handed to
// the engine in full. A record stored before they were sealed keeps its
// values.
func TestCustomHeaderValuesSealed(t *testing.T) {
	f := newFixture(t)
	f.mustSite("acme")
	f.mustEndpoint(map[string]any{"id": "crm", "site": "acme", "url": "https://crm.example.com/h",
		"headers": map[string]string{"X-Secret-Token": "s3cr3t-VALUE", "X-Tenant": "acme"}, "plain_headers": []string{"X-Tenant"}})

	_, body := f.do("GET", "/api/v1/endpoints/crm", nil)
	h, _ := body["headers"].(map[string]any)
	if h["X-Secret-Token"] != redacted || h["X-Tenant"] != "acme" {
		t.Fatalf("read headers %v: want the secret REDACTED and the plain one shown", h)
	}
	ctx := context.Background()
	kv, err := f.set.NATS.JetStream().KeyValue(ctx, f.cfg.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, "endpoint.crm")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(e.Value()), "s3cr3t-VALUE") || !strings.Contains(string(e.Value()), `"X-Tenant":"acme"`) {
		t.Fatalf("stored record: the secret header value must be sealed, the plain one readable: %s", e.Value())
	}
	waitFor(t, "engine gets the secret value", func() bool {
		ep, ok := f.eng.endpoint("crm")
		return ok && ep.Headers["X-Secret-Token"] == "s3cr3t-VALUE"
	})
	// Sending the read back (with REDACTED) keeps the secret; a new value replaces it.
	if st, b := f.do("PATCH", "/api/v1/endpoints/crm", map[string]any{"headers": h, "description": "x"}); st != 200 {
		t.Fatalf("patch: %d %v", st, b)
	}
	if ep, _ := f.mgr.store().endpoint("crm"); ep.Headers["X-Secret-Token"] != "s3cr3t-VALUE" {
		t.Fatalf("REDACTED sent back replaced the secret: %q", ep.Headers["X-Secret-Token"])
	}
	if st, b := f.do("PATCH", "/api/v1/endpoints/crm", map[string]any{"headers": map[string]string{"X-Secret-Token": "n3w", "X-Tenant": "acme"}}); st != 200 {
		t.Fatalf("patch: %d %v", st, b)
	}
	if ep, _ := f.mgr.store().endpoint("crm"); ep.Headers["X-Secret-Token"] != "n3w" {
		t.Fatalf("new value not stored: %q", ep.Headers["X-Secret-Token"])
	}

	// A record of an older version: header values in plain JSON, nothing sealed.
	old, _ := json.Marshal(map[string]any{"id": "legacy", "site": "acme", "type": "webhook", "url": "https://crm.example.com/l",
		"auth": "none", "events": []string{"*"}, "status": "active", "headers": map[string]string{"X-Api-Secret": "legacy-VALUE"}})
	if _, err := kv.Put(ctx, "endpoint.legacy", old); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "legacy record read with its header", func() bool {
		ep, ok := f.mgr.store().endpoint("legacy")
		return ok && ep.Headers["X-Api-Secret"] == "legacy-VALUE"
	})
}
