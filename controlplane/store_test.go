package controlplane

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/site"
)

func TestCredentialsEncryptedAtRest(t *testing.T) {
	f := newFixture(t)
	f.do("POST", "/api/v1/sites", map[string]any{"id": "acme", "write_key": "pk_acme", "popin_api_key": "popin-key-SECRET"})
	ep := f.mustEndpoint(map[string]any{"id": "crm", "site": "acme", "url": "https://crm.example.com/h"})
	tok := f.mustEndpoint(map[string]any{"id": "tok", "site": "acme", "url": "https://crm.example.com/t", "auth": "bearer", "token": "bearer-TOKEN-value"})
	capi := f.mustEndpoint(map[string]any{"id": "meta", "site": "acme", "type": "facebook_capi", "pixel_id": "1", "access_token": "EAAB-ACCESS"})
	_ = tok
	_ = capi
	_, rot := f.do("POST", "/api/v1/endpoints/crm/rotate-secret", nil)

	kv, err := f.set.NATS.JetStream().KeyValue(context.Background(), f.cfg.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{ep["secret"].(string), rot["secret"].(string), "bearer-TOKEN-value", "EAAB-ACCESS", "popin-key-SECRET"}
	for _, key := range []string{"endpoint.crm", "endpoint.tok", "endpoint.meta", "site.acme"} {
		e, err := kv.Get(context.Background(), key)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		raw := string(e.Value())
		if !strings.Contains(raw, `"sealed":"v1:`) {
			t.Fatalf("%s not sealed: %s", key, raw)
		}
		for _, s := range secrets {
			if strings.Contains(raw, s) {
				t.Fatalf("%s holds a credential in clear: %s", key, raw)
			}
		}
	}
	// A node with another master key cannot read the credentials: it
	// ignores the records instead of using garbage.
	other := newNode(t, f.nats, func(_ *Config, s *Settings) { s.MasterKey = make([]byte, 32) })
	if _, ok := other.mgr.store().endpoint("crm"); ok {
		t.Fatal("endpoint readable under a wrong master key")
	}
}

func TestChangesReachOtherNodes(t *testing.T) {
	a := newFixture(t)
	b := newNode(t, a.nats)
	a.mustSite("acme")
	a.mustEndpoint(map[string]any{"id": "crm", "site": "acme", "url": "https://crm.example.com/h"})
	waitFor(t, "node b registry", func() bool { _, ok := b.sites.ByWriteKey("pk_acme"); return ok })
	waitFor(t, "node b engine", func() bool { e, ok := b.eng.endpoint("crm"); return ok && e.Secret != "" })
	if st, _ := b.do("PATCH", "/api/v1/endpoints/crm", map[string]any{"status": "paused"}); st != 200 {
		t.Fatal("patch on b")
	}
	waitFor(t, "node a sees pause", func() bool { e, _ := a.eng.endpoint("crm"); return e.Status == endpoint.StatusPaused })
	if st, _ := a.do("DELETE", "/api/v1/endpoints/crm", nil); st != 204 {
		t.Fatal("delete on a")
	}
	waitFor(t, "node b drops endpoint", func() bool { _, ok := b.eng.endpoint("crm"); return !ok })
	if st, _ := b.do("GET", "/api/v1/endpoints/crm", nil); st != 404 {
		t.Fatal("b still serves deleted endpoint")
	}
}

func TestSeed(t *testing.T) {
	sites := []site.Site{{ID: "acme", WriteKey: "pk_acme", Origins: []string{"https://www.acme.com"}, PopinAPIKey: "k3y"}}
	eps := []Endpoint{{ID: "crm", Site: "acme", URL: "https://crm.example.com/h", Events: []string{"popin_captured"}, Secret: "whsec_" + strings.Repeat("QUJD", 8)}}
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.mgr.Seed(ctx, sites, eps); err != nil {
		t.Fatal(err)
	}
	_, body := f.do("GET", "/api/v1/endpoints/crm", nil)
	if body["origin"] != "config" || body["has_secret"] != true {
		t.Fatalf("seeded: %v", body)
	}
	// An API change survives re-seeding the same declaration...
	f.do("POST", "/api/v1/endpoints/crm/rotate-secret", nil)
	f.do("PATCH", "/api/v1/endpoints/crm", map[string]any{"status": "paused"})
	rotated, _ := f.mgr.store().endpoint("crm")
	if err := f.mgr.Seed(ctx, sites, eps); err != nil {
		t.Fatal(err)
	}
	again, _ := f.mgr.store().endpoint("crm")
	if again.Secret != rotated.Secret || again.Status != endpoint.StatusPaused {
		t.Fatal("re-seeding an unchanged declaration undid API changes")
	}
	// ...but a changed declaration wins, keeping the runtime status.
	eps[0].URL = "https://crm2.example.com/h"
	if err := f.mgr.Seed(ctx, sites, eps); err != nil {
		t.Fatal(err)
	}
	changed, _ := f.mgr.store().endpoint("crm")
	if changed.URL != eps[0].URL || changed.Secret != eps[0].Secret || changed.Status != endpoint.StatusPaused {
		t.Fatalf("changed declaration not applied: %+v", changed)
	}
	// Bad declarations are refused with every problem named.
	err := f.mgr.Seed(ctx, []site.Site{{ID: "b c"}}, []Endpoint{{ID: "x", Site: "nope", URL: "http://10.0.0.1/"}})
	for _, want := range []string{"sites[0]", "endpoints[0].url", "endpoints[0].site"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("seed error %v does not name %s", err, want)
		}
	}
}

func TestSeedBeforeStart(t *testing.T) {
	ns := newFixture(t).nats
	f := &fixture{}
	_ = f
	eng := &fakeEngine{}
	reg := site.NewStatic(nil)
	m, err := New(NewDefaultConfig(), Settings{AdminToken: testToken, MasterKey: testKey, NATS: natsrv.Fixed(ns.Connect(t)), Sites: reg, Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Seed(ctx, []site.Site{{ID: "acme", WriteKey: "pk_acme"}}, []Endpoint{{ID: "crm", Site: "acme", URL: "https://crm.example.com/h"}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(ctx)
	if _, ok := reg.ByID("acme"); !ok {
		t.Fatal("registry lacks seeded site right after Start")
	}
	if e, ok := eng.endpoint("crm"); !ok || !strings.HasPrefix(e.Secret, "whsec_") {
		t.Fatal("engine lacks seeded endpoint (with generated secret) right after Start")
	}
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestLifecycleShutdownWithoutStart(t *testing.T) {
	ns := newFixture(t).nats
	m, err := New(NewDefaultConfig(), Settings{MasterKey: testKey, NATS: natsrv.Fixed(ns.Connect(t))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	c := NewDefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Bucket, c.Replicas, c.DisableAfter, c.OpsWebhook.URL, c.OpsWebhook.Secret, c.MaxReplayEvents = "a.b", 9, 0, "ftp://x", "nope", 0
	c.OpsWebhook.ExhaustedWindow = 0
	err := c.Validate()
	for _, k := range []string{"bucket", "replicas", "disable_after", "ops_webhook.url", "ops_webhook.secret", "max_replay_events", "ops_webhook.exhausted_window"} {
		if err == nil || !strings.Contains(err.Error(), k+":") {
			t.Errorf("Validate does not name %s: %v", k, err)
		}
	}
	if _, err := New(NewDefaultConfig(), Settings{MasterKey: []byte("short")}); err == nil {
		t.Fatal("New without JetStream/with short key accepted")
	}
}
