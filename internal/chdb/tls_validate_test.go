package chdb_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/popinbridge/bridge/internal/chdb"
)

func TestTLSConfigValidate(t *testing.T) {
	ca := newPKI(t, "validate-ca")
	cert, key := ca.client("client")
	_, otherKey := ca.client("other")
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")

	tests := []struct {
		name string
		tls  chdb.TLSConfig
		want []string // substrings of the error; none = valid
	}{
		{"off", chdb.TLSConfig{}, nil},
		{"on, system roots", chdb.TLSConfig{Enabled: true}, nil},
		{"on, everything", chdb.TLSConfig{Enabled: true, CAFile: ca.CAFile, CertFile: cert, KeyFile: key, ServerName: "ch.example.com"}, nil},
		{"on, skip verify", chdb.TLSConfig{Enabled: true, InsecureSkipVerify: true}, nil},
		{"keys set while off", chdb.TLSConfig{CAFile: ca.CAFile, CertFile: cert, KeyFile: key, ServerName: "x", InsecureSkipVerify: true},
			[]string{"clickhouse.tls.ca_file: set while", "clickhouse.tls.cert_file: set while", "clickhouse.tls.key_file: set while",
				"clickhouse.tls.server_name: set while", "clickhouse.tls.insecure_skip_verify: set while"}},
		{"ca file missing", chdb.TLSConfig{Enabled: true, CAFile: missing}, []string{"clickhouse.tls.ca_file", "missing.pem"}},
		{"ca file not PEM", chdb.TLSConfig{Enabled: true, CAFile: notPEM}, []string{"clickhouse.tls.ca_file", "no PEM certificate"}},
		{"cert without key", chdb.TLSConfig{Enabled: true, CertFile: cert}, []string{"clickhouse.tls.key_file: required"}},
		{"key without cert", chdb.TLSConfig{Enabled: true, KeyFile: key}, []string{"clickhouse.tls.cert_file: required"}},
		{"key of another cert", chdb.TLSConfig{Enabled: true, CertFile: cert, KeyFile: otherKey}, []string{"clickhouse.tls.cert_file, clickhouse.tls.key_file"}},
		{"cert unreadable", chdb.TLSConfig{Enabled: true, CertFile: missing, KeyFile: key}, []string{"clickhouse.tls.cert_file, clickhouse.tls.key_file", "missing.pem"}},
		{"all at once", chdb.TLSConfig{Enabled: true, CAFile: notPEM, KeyFile: key},
			[]string{"clickhouse.tls.ca_file", "clickhouse.tls.cert_file: required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := chdb.NewDefaultConfig()
			c.TLS = tt.tls
			checkValidate(t, c.Validate(), tt.want)
		})
	}
}

// The password never reaches a log line through the config.
func TestConfigLogValueHidesPassword(t *testing.T) {
	c := chdb.NewDefaultConfig()
	c.Password = "pw-secret-123"
	var b strings.Builder
	log := slogTo(&b)
	log.Info("config", "clickhouse", c)
	log.Info("config", "clickhouse", &c)
	out := b.String()
	if !strings.Contains(out, "password_set=true") {
		t.Fatalf("log lacks password_set=true (positive control):\n%s", out)
	}
	if strings.Contains(out, c.Password) {
		t.Errorf("log contains the password:\n%s", out)
	}
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
