package endpoint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/popinbridge/bridge/internal/ssrf"
	"github.com/popinbridge/bridge/internal/testkit/testpki"
)

func TestValidateEgress(t *testing.T) {
	ca := testpki.NewCA(t, "egress-test")
	client, other := ca.Client("bridge"), ca.Client("other")
	oauth := func() *OAuth2 {
		return &OAuth2{TokenURL: "https://auth.example.com/oauth/token", ClientID: "bridge", ClientSecret: "s3cret", Scopes: []string{"leads:write"}}
	}
	guard, _ := ssrf.New(nil)
	cases := []struct {
		name      string
		mod       func(*Endpoint)
		wantField string
	}{
		{"oauth2", func(e *Endpoint) { e.OAuth2 = oauth() }, ""},
		{"oauth2 with auth none, audience, params", func(e *Endpoint) {
			e.Auth, e.OAuth2 = AuthNone, oauth()
			e.OAuth2.Audience, e.OAuth2.EndpointParams, e.OAuth2.AuthStyle = "https://api.example.com", map[string]string{"resource": "x"}, OAuth2AuthParams
		}, ""},
		{"oauth2 private token_url", func(e *Endpoint) { e.OAuth2 = oauth(); e.OAuth2.TokenURL = "http://169.254.169.254/token" }, "oauth2.token_url"},
		{"oauth2 token_url not a URL", func(e *Endpoint) { e.OAuth2 = oauth(); e.OAuth2.TokenURL = "auth.example.com" }, "oauth2.token_url"},
		{"oauth2 without client_id", func(e *Endpoint) { e.OAuth2 = oauth(); e.OAuth2.ClientID = "" }, "oauth2.client_id"},
		{"oauth2 without client_secret", func(e *Endpoint) { e.OAuth2 = oauth(); e.OAuth2.ClientSecret = "" }, "oauth2.client_secret"},
		{"oauth2 bad scope", func(e *Endpoint) { e.OAuth2 = oauth(); e.OAuth2.Scopes = []string{"a b"} }, "oauth2.scopes"},
		{"oauth2 reserved param", func(e *Endpoint) {
			e.OAuth2 = oauth()
			e.OAuth2.EndpointParams = map[string]string{"grant_type": "password"}
		}, "oauth2.endpoint_params"},
		{"oauth2 bad auth_style", func(e *Endpoint) { e.OAuth2 = oauth(); e.OAuth2.AuthStyle = "basic" }, "oauth2.auth_style"},
		{"oauth2 with auth bearer", func(e *Endpoint) { e.Auth, e.Token, e.OAuth2 = AuthBearer, "tok", oauth() }, "oauth2"},
		{"oauth2 with an Authorization header", func(e *Endpoint) { e.OAuth2, e.Headers = oauth(), map[string]string{"authorization": "x"} }, "headers"},
		{"oauth2 on capi", func(e *Endpoint) { *e = capiEndpoint(nil); e.OAuth2 = oauth() }, "oauth2"},
		{"mtls", func(e *Endpoint) {
			e.TLS = &TLS{CertPEM: client.CertPEM, Key: client.KeyPEM, CAPEM: ca.PEM, ServerName: "crm.internal"}
		}, ""},
		{"ca only", func(e *Endpoint) { e.TLS = &TLS{CAPEM: ca.PEM} }, ""},
		{"mtls on capi", func(e *Endpoint) { *e = capiEndpoint(nil); e.TLS = &TLS{CertPEM: client.CertPEM, Key: client.KeyPEM} }, ""},
		{"cert without key", func(e *Endpoint) { e.TLS = &TLS{CertPEM: client.CertPEM} }, "tls.key"},
		{"key without cert", func(e *Endpoint) { e.TLS = &TLS{Key: client.KeyPEM} }, "tls.cert_pem"},
		{"key of another cert", func(e *Endpoint) { e.TLS = &TLS{CertPEM: client.CertPEM, Key: other.KeyPEM} }, "tls.key"},
		{"key is not PEM", func(e *Endpoint) { e.TLS = &TLS{CertPEM: client.CertPEM, Key: "nope"} }, "tls.key"},
		{"cert is a key", func(e *Endpoint) { e.TLS = &TLS{CertPEM: client.KeyPEM, Key: client.KeyPEM} }, "tls.cert_pem"},
		{"cert is not PEM", func(e *Endpoint) { e.TLS = &TLS{CertPEM: "MIIB", Key: client.KeyPEM} }, "tls.cert_pem"},
		{"ca not PEM", func(e *Endpoint) { e.TLS = &TLS{CAPEM: "x"} }, "tls.ca_pem"},
		{"bad server_name", func(e *Endpoint) { e.TLS = &TLS{ServerName: "a b"} }, "tls.server_name"},
		{"file through the API", func(e *Endpoint) { e.TLS = &TLS{CertFile: "/etc/passwd"} }, "tls.cert_file"},
		{"proxy", func(e *Endpoint) { e.ProxyURL = "http://proxy.example.com:3128" }, ""},
		{"proxy on capi", func(e *Endpoint) { *e = capiEndpoint(nil); e.ProxyURL = "http://proxy.example.com:3128/" }, ""},
		{"https proxy", func(e *Endpoint) { e.ProxyURL = "https://proxy.example.com:3128" }, "proxy_url"},
		{"socks proxy", func(e *Endpoint) { e.ProxyURL = "socks5://proxy.example.com:1080" }, "proxy_url"},
		{"proxy with credentials", func(e *Endpoint) { e.ProxyURL = "http://u:p@proxy.example.com:3128" }, "proxy_url"},
		{"proxy with a path", func(e *Endpoint) { e.ProxyURL = "http://proxy.example.com:3128/x" }, "proxy_url"},
		{"private proxy", func(e *Endpoint) { e.ProxyURL = "http://10.0.0.5:3128" }, "proxy_url"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := webhook(c.mod)
			err := e.Validate(Checks{Guard: guard})
			if c.wantField == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			ps := Problems(err)
			if len(ps) != 1 || ps[0].Field != c.wantField {
				t.Fatalf("want one problem with %s, got %v", c.wantField, err)
			}
			for _, secret := range []string{"s3cret", client.KeyPEM[40:80], other.KeyPEM[40:80]} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the error quotes a credential: %v", err)
				}
			}
		})
	}
}

func TestTLSLoadFiles(t *testing.T) {
	ca := testpki.NewCA(t, "files")
	p := ca.Client("bridge")
	dir := t.TempDir()
	write := func(name, s string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tl := &TLS{CertFile: write("c.pem", p.CertPEM), KeyFile: write("k.pem", p.KeyPEM), CAFile: write("ca.pem", ca.PEM)}
	if err := tl.LoadFiles(); err != nil {
		t.Fatal(err)
	}
	if tl.CertPEM != p.CertPEM || tl.Key != p.KeyPEM || tl.CAPEM != ca.PEM || tl.CertFile+tl.KeyFile+tl.CAFile != "" {
		t.Fatalf("files not loaded: %+v", tl)
	}
	if cfg, err := tl.ClientConfig(); err != nil || len(cfg.Certificates) != 1 || cfg.RootCAs == nil {
		t.Fatalf("ClientConfig: %v", err)
	}
	bad := &TLS{CertFile: filepath.Join(dir, "missing.pem"), Key: "x", KeyFile: write("k2.pem", "y")}
	ps := Problems(bad.LoadFiles())
	if len(ps) != 2 || ps[0].Field != "tls.cert_file" || ps[1].Field != "tls.key_file" {
		t.Fatalf("want cert_file and key_file problems, got %v", ps)
	}
}

func TestCloneCopiesEgress(t *testing.T) {
	a := webhook(func(e *Endpoint) {
		e.OAuth2 = &OAuth2{ClientSecret: "a", Scopes: []string{"x"}, EndpointParams: map[string]string{"k": "v"}}
		e.TLS = &TLS{Key: "a"}
	})
	b := a.Clone()
	b.OAuth2.ClientSecret, b.OAuth2.Scopes[0], b.OAuth2.EndpointParams["k"], b.TLS.Key = "b", "y", "w", "b"
	if a.OAuth2.ClientSecret != "a" || a.OAuth2.Scopes[0] != "x" || a.OAuth2.EndpointParams["k"] != "v" || a.TLS.Key != "a" {
		t.Fatal("Clone shares oauth2 or tls with the original")
	}
}
