package controlplane

import (
	"context"
	"strings"
	"testing"

	"github.com/popinbridge/bridge/internal/testkit/testpki"
)

// The egress credentials — oauth2.client_secret and tls.key — are sealed in
// the bucket, REDACTED in reads, kept when a read is sent back, handed to
// the engine in full; a new token_url needs the secret again; a key that
// does not fit the certificate is refused naming tls.key.
func TestEgressCredentialsSealed(t *testing.T) {
	f := newFixture(t)
	f.mustSite("acme")
	ca := testpki.NewCA(t, "cp")
	pair, other := ca.Client("bridge"), ca.Client("other")
	keyBody := strings.Split(pair.KeyPEM, "\n")[1]
	oauth := map[string]any{"token_url": "https://auth.example.com/token", "client_id": "bridge", "client_secret": "cl1ent-S3CRET", "scopes": []string{"leads"}}
	tlsIn := map[string]any{"cert_pem": pair.CertPEM, "key": pair.KeyPEM, "ca_pem": ca.PEM}
	f.mustEndpoint(map[string]any{"id": "crm", "site": "acme", "url": "https://crm.example.com/h", "auth": "none",
		"oauth2": oauth, "tls": tlsIn, "proxy_url": "http://proxy.example.com:3128"})

	_, body := f.do("GET", "/api/v1/endpoints/crm", nil)
	o, _ := body["oauth2"].(map[string]any)
	tl, _ := body["tls"].(map[string]any)
	if o["client_secret"] != redacted || o["client_id"] != "bridge" || tl["key"] != redacted || tl["cert_pem"] != pair.CertPEM || body["proxy_url"] != "http://proxy.example.com:3128" {
		t.Fatalf("read: oauth2 %v tls %v proxy %v", o, tl, body["proxy_url"])
	}
	ctx := context.Background()
	kv, err := f.set.NATS.JetStream().KeyValue(ctx, f.cfg.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := kv.Get(ctx, "endpoint.crm")
	if err != nil {
		t.Fatal(err)
	}
	if s := string(rec.Value()); strings.Contains(s, "cl1ent-S3CRET") || strings.Contains(s, keyBody) || !strings.Contains(s, "auth.example.com") {
		t.Fatalf("stored record: the secret and key must be sealed, the rest readable: %s", s)
	}
	waitFor(t, "engine gets the credentials", func() bool {
		ep, ok := f.eng.endpoint("crm")
		return ok && ep.OAuth2 != nil && ep.OAuth2.ClientSecret == "cl1ent-S3CRET" && ep.TLS != nil && ep.TLS.Key == pair.KeyPEM
	})

	// The read sent back keeps both; leaving them out too.
	for _, patch := range []map[string]any{{"oauth2": o, "tls": tl, "description": "x"}, {"oauth2": map[string]any{"scopes": []string{"a", "b"}}}} {
		if st, b := f.do("PATCH", "/api/v1/endpoints/crm", patch); st != 200 {
			t.Fatalf("patch %v: %d %v", patch, st, b)
		}
		if ep, _ := f.mgr.store().endpoint("crm"); ep.OAuth2.ClientSecret != "cl1ent-S3CRET" || ep.TLS.Key != pair.KeyPEM {
			t.Fatalf("patch %v lost a credential", patch)
		}
	}
	for _, c := range []struct {
		name  string
		patch map[string]any
		field string
	}{
		{"new token_url without the secret", map[string]any{"oauth2": map[string]any{"token_url": "https://evil.example.com/token"}}, "oauth2.client_secret"},
		{"new token_url, secret REDACTED", map[string]any{"oauth2": map[string]any{"token_url": "https://evil.example.com/token", "client_secret": redacted}}, "oauth2.client_secret"},
		{"key of another certificate", map[string]any{"tls": map[string]any{"key": other.KeyPEM}}, "tls.key"},
		{"no certificate", map[string]any{"tls": map[string]any{"cert_pem": "nope"}}, "tls.cert_pem"},
		{"a file through the API", map[string]any{"tls": map[string]any{"cert_file": "/etc/passwd"}}, ""},
		{"private proxy", map[string]any{"proxy_url": "http://10.0.0.1:3128"}, "proxy_url"},
	} {
		st, b := f.do("PATCH", "/api/v1/endpoints/crm", c.patch)
		e, _ := b["error"].(map[string]any)
		if st/100 != 4 || (c.field != "" && e["field"] != c.field) {
			t.Errorf("%s: %d %v, want a 4xx naming %q", c.name, st, b, c.field)
		}
		if strings.Contains(e["message"].(string), keyBody) {
			t.Errorf("%s: the error quotes the key", c.name)
		}
	}
	if st, b := f.do("PATCH", "/api/v1/endpoints/crm", map[string]any{"oauth2": map[string]any{"token_url": "https://auth2.example.com/token", "client_secret": "n3w"}}); st != 200 {
		t.Fatalf("new token_url with its secret: %d %v", st, b)
	}
	if ep, _ := f.mgr.store().endpoint("crm"); ep.OAuth2.ClientSecret != "n3w" || ep.OAuth2.TokenURL != "https://auth2.example.com/token" {
		t.Fatalf("not stored: %+v", ep.OAuth2)
	}
	// REDACTED with nothing stored behind it is not a secret.
	st, b := f.do("POST", "/api/v1/endpoints", map[string]any{"id": "crm2", "site": "acme", "url": "https://crm.example.com/h", "auth": "none",
		"oauth2": map[string]any{"token_url": "https://auth.example.com/token", "client_id": "x", "client_secret": redacted}})
	if e, _ := b["error"].(map[string]any); st != 422 || e["field"] != "oauth2.client_secret" {
		t.Fatalf("create with REDACTED: %d %v", st, b)
	}
}
