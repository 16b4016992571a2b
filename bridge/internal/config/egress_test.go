package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/popinbridge/bridge/internal/testkit/testpki"
)

// Certificate files of the config file are read at load into the PEM
// fields the control plane stores; a missing file names its key.
func TestEndpointCertificateFiles(t *testing.T) {
	ca := testpki.NewCA(t, "config")
	p := ca.Client("bridge")
	dir := t.TempDir()
	for name, s := range map[string]string{"c.pem": p.CertPEM, "k.pem": p.KeyPEM, "ca.pem": ca.PEM} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	yml := func(cert string) string {
		return `
sites: [{id: acme, write_key: pk_acme, origins: ["https://www.acme.com"]}]
endpoints:
  - id: crm
    site: acme
    url: https://crm.example.com/hook
    auth: none
    proxy_url: http://proxy.example.com:3128
    oauth2: {token_url: "https://auth.example.com/token", client_id: bridge, client_secret: s3cret, scopes: [leads]}
    tls:
      cert_file: ` + filepath.Join(dir, cert) + `
      key_file: ` + filepath.Join(dir, "k.pem") + `
      ca_file: ` + filepath.Join(dir, "ca.pem") + `
      server_name: crm.internal
`
	}
	c, err := Parse([]byte(yml("c.pem")))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	e := c.DeclaredEndpoints()[0]
	if e.TLS.CertPEM != p.CertPEM || e.TLS.Key != p.KeyPEM || e.TLS.CAPEM != ca.PEM || e.TLS.CertFile != "" ||
		e.OAuth2.ClientSecret != "s3cret" || e.ProxyURL != "http://proxy.example.com:3128" {
		t.Fatalf("declared endpoint %+v %+v", e.TLS, e.OAuth2)
	}
	if _, err := Parse([]byte(yml("missing.pem"))); err == nil || !strings.Contains(err.Error(), "endpoints[0].tls.cert_file: ") {
		t.Fatalf("missing file: %v", err)
	}
}
