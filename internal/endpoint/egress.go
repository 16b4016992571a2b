package endpoint

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
)

// OAuth2 token request authentication styles (auth_style).
const (
	// OAuth2AuthAuto tries HTTP Basic, then the form body, and remembers
	// what worked (the default).
	OAuth2AuthAuto = ""
	// OAuth2AuthHeader sends client_id and client_secret as HTTP Basic.
	OAuth2AuthHeader = "header"
	// OAuth2AuthParams sends them in the form body.
	OAuth2AuthParams = "params"
)

// OAuth2 is the client-credentials grant (RFC 6749 §4.4) of a webhook
// endpoint: the forwarder asks TokenURL for an access token, keeps it until
// shortly before it expires and sends it as Authorization: Bearer. It
// combines with auth signature or none (not with bearer, which sets the
// same header).
type OAuth2 struct {
	TokenURL string `json:"token_url" yaml:"token_url"`
	ClientID string `json:"client_id" yaml:"client_id"`
	// ClientSecret is a credential: sealed at rest, REDACTED in reads,
	// never logged.
	ClientSecret string   `json:"client_secret,omitempty" yaml:"client_secret"`
	Scopes       []string `json:"scopes,omitempty" yaml:"scopes"`
	// Audience is sent as the audience parameter (Auth0 and others).
	Audience string `json:"audience,omitempty" yaml:"audience"`
	// EndpointParams are extra form parameters of the token request.
	EndpointParams map[string]string `json:"endpoint_params,omitempty" yaml:"endpoint_params"`
	// AuthStyle is how the client authenticates to TokenURL: "header"
	// (HTTP Basic), "params" (form body) or "" (try both).
	AuthStyle string `json:"auth_style,omitempty" yaml:"auth_style"`
}

// TLS is the TLS side of an endpoint's connections: a client certificate
// (mTLS) and how the server is verified. Through the API certificates and
// keys are PEM text; the config file may instead name files (CertFile,
// KeyFile, CAFile), read once when the file is loaded (LoadFiles).
type TLS struct {
	// CertPEM is the client certificate chain, leaf first.
	CertPEM string `json:"cert_pem,omitempty" yaml:"cert_pem"`
	// Key is the client certificate's private key (PEM): a credential,
	// sealed at rest, REDACTED in reads.
	Key string `json:"key,omitempty" yaml:"key"`
	// CAPEM are certificates trusted for the server besides the system
	// roots (a private CA).
	CAPEM string `json:"ca_pem,omitempty" yaml:"ca_pem"`
	// ServerName replaces the URL's host name for SNI and verification.
	ServerName string `json:"server_name,omitempty" yaml:"server_name"`

	CertFile string `json:"-" yaml:"cert_file"`
	KeyFile  string `json:"-" yaml:"key_file"`
	CAFile   string `json:"-" yaml:"ca_file"`
}

func (o *OAuth2) clone() *OAuth2 {
	if o == nil {
		return nil
	}
	c := *o
	c.Scopes = slices.Clone(o.Scopes)
	c.EndpointParams = maps.Clone(o.EndpointParams)
	return &c
}

func (t *TLS) clone() *TLS {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// HasClientCert reports whether the endpoint presents a client certificate.
func (t *TLS) HasClientCert() bool { return t != nil && t.CertPEM != "" }

// LoadFiles reads CertFile, KeyFile and CAFile into CertPEM, Key and CAPEM
// and clears them (the config file's form; the stored endpoint holds the
// PEM). Errors name the key ("tls.cert_file: …").
func (t *TLS) LoadFiles() error {
	if t == nil {
		return nil
	}
	var errs []error
	for _, f := range []struct {
		key  string
		file *string
		pem  *string
		name string
	}{{"cert_file", &t.CertFile, &t.CertPEM, "cert_pem"}, {"key_file", &t.KeyFile, &t.Key, "key"}, {"ca_file", &t.CAFile, &t.CAPEM, "ca_pem"}} {
		if *f.file == "" {
			continue
		}
		if *f.pem != "" {
			errs = append(errs, fieldErr("tls."+f.key, "set with %s; give one of them", f.name))
			continue
		}
		b, err := os.ReadFile(*f.file)
		if err != nil {
			errs = append(errs, fieldErr("tls."+f.key, "%v", err))
			continue
		}
		*f.pem, *f.file = string(b), ""
	}
	return errors.Join(errs...)
}

// ClientConfig is the tls.Config of the endpoint's connections: TLS 1.2 or
// later, the client certificate, the system roots plus CAPEM, ServerName.
// t passed Validate; nil gives the defaults.
func (t *TLS) ClientConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t == nil {
		return cfg, nil
	}
	if t.CertPEM != "" {
		c, err := tls.X509KeyPair([]byte(t.CertPEM), []byte(t.Key))
		if err != nil {
			return nil, fmt.Errorf("tls: client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	if t.CAPEM != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(t.CAPEM)) {
			return nil, errors.New("tls: ca_pem: no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	cfg.ServerName = t.ServerName
	return cfg, nil
}
