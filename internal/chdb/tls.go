package chdb

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
)

// TLSConfig is `clickhouse.tls`: TLS on the secure native port (9440 on a
// self-managed server; managed services such as ClickHouse Cloud require it).
// Off by default.
type TLSConfig struct {
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM bundle of the CAs trusted to sign the server's
	// certificate; empty means the system's roots (enough for a public CA).
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are the PEM client certificate and its key, for
	// servers that require one (mutual TLS); both or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name the server's certificate must carry; empty
	// means the host of clickhouse.addr.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify accepts any server certificate: the connection is
	// encrypted but not authenticated. For tests only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// validate reports every problem, each naming its key; it reads the files
// the way Open will, so a bad path or a mismatched key fails at check-config.
func (t TLSConfig) validate() []error {
	var errs []error
	if !t.Enabled {
		for _, k := range []struct {
			key string
			set bool
		}{
			{"ca_file", t.CAFile != ""}, {"cert_file", t.CertFile != ""}, {"key_file", t.KeyFile != ""},
			{"server_name", t.ServerName != ""}, {"insecure_skip_verify", t.InsecureSkipVerify},
		} {
			if k.set {
				errs = append(errs, fmt.Errorf("clickhouse.tls.%s: set while clickhouse.tls.enabled is false (the connection would not use TLS)", k.key))
			}
		}
		return errs
	}
	if t.CAFile != "" {
		if _, err := loadCA(t.CAFile); err != nil {
			errs = append(errs, fmt.Errorf("clickhouse.tls.ca_file: %w", err))
		}
	}
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		errs = append(errs, errors.New("clickhouse.tls.key_file: required when clickhouse.tls.cert_file is set"))
	case t.CertFile == "" && t.KeyFile != "":
		errs = append(errs, errors.New("clickhouse.tls.cert_file: required when clickhouse.tls.key_file is set"))
	case t.CertFile != "":
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			errs = append(errs, fmt.Errorf("clickhouse.tls.cert_file, clickhouse.tls.key_file: %w", err))
		}
	}
	return errs
}

// build returns the client's tls.Config (TLS 1.2 at least), or nil when
// TLS is off. addr supplies the server name when ServerName is empty.
func (t TLSConfig) build(addr string) (*tls.Config, error) {
	if !t.Enabled {
		return nil, nil
	}
	c := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // an explicit, validated operator choice
	}
	if c.ServerName == "" {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			c.ServerName = host
		}
	}
	if t.CAFile != "" {
		pool, err := loadCA(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("clickhouse.tls.ca_file: %w", err)
		}
		c.RootCAs = pool
	}
	if t.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("clickhouse.tls.cert_file, clickhouse.tls.key_file: %w", err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c, nil
}

func loadCA(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}
