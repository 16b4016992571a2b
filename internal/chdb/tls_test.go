package chdb_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chlocal"
	"github.com/popinbridge/bridge/internal/testkit"
)

const (
	tlsUser     = "bridge_tls"
	tlsPassword = "pw-Ki7vQ2zLx"
)

// startTLSServer starts a ClickHouse of the test's own with tcp_port_secure
// on a certificate signed by a CA the test generates, and a user with a
// password.
func startTLSServer(t *testing.T) (*chlocal.Server, *testPKI) {
	t.Helper()
	if _, err := chlocal.Binary(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ca := newPKI(t, "test-ca")
	cert, key := ca.server("server")
	srv, err := chlocal.StartWith(t.TempDir(), chlocal.Options{
		TLSCertFile: cert, TLSKeyFile: key,
		Users: map[string]string{tlsUser: tlsPassword},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv, ca
}

func TestTLS(t *testing.T) {
	srv, ca := startTLSServer(t)
	otherCA := newPKI(t, "other-ca")
	var logs testkit.LockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	base := func() chdb.Config {
		c := chdb.NewDefaultConfig()
		c.Addr = srv.TLSAddr()
		c.Database = "tls_test"
		c.Username, c.Password = tlsUser, tlsPassword
		c.DialTimeout = 5 * time.Second
		c.TLS = chdb.TLSConfig{Enabled: true, CAFile: ca.CAFile}
		return c
	}
	open := func(t *testing.T, c chdb.Config) (*chdb.DB, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := chdb.Open(ctx, c, chdb.Settings{Logger: log})
		if err == nil {
			t.Cleanup(func() { db.Close() })
		}
		return db, err
	}

	// Positive control: the right CA connects, migrates and answers.
	t.Run("right CA", func(t *testing.T) {
		db, err := open(t, base())
		if err != nil {
			t.Fatalf("Open over TLS: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("Migrate over TLS: %v", err)
		}
		var n uint64
		if err := db.Conn().QueryRow(ctx, "SELECT count() FROM events").Scan(&n); err != nil {
			t.Fatalf("query over TLS: %v", err)
		}
		var user string
		if err := db.Conn().QueryRow(ctx, "SELECT user FROM system.processes WHERE query LIKE '%tls-whoami%' LIMIT 1").Scan(&user); err != nil || user != tlsUser {
			t.Fatalf("the query ran as %q (%v), want %q", user, err, tlsUser)
		}
	})

	tests := []struct {
		name   string
		modify func(*chdb.Config)
		want   []string // substrings of Open's error
		tls    bool     // the error wraps chdb.ErrTLS
	}{
		{"wrong CA", func(c *chdb.Config) { c.TLS.CAFile = otherCA.CAFile },
			[]string{"TLS", "certificate", "clickhouse.tls.ca_file"}, true},
		{"wrong server name", func(c *chdb.Config) { c.TLS.ServerName = "clickhouse.example.com" },
			[]string{"TLS", "certificate", "clickhouse.example.com", "clickhouse.tls.server_name"}, true},
		{"TLS to the plain port", func(c *chdb.Config) { c.Addr = srv.Addr() },
			[]string{"TLS", "secure native port"}, true},
		{"plain to the TLS port", func(c *chdb.Config) { c.TLS = chdb.TLSConfig{} },
			[]string{"clickhouse.tls.enabled"}, false},
		{"wrong password", func(c *chdb.Config) { c.Password = "not-" + tlsPassword },
			[]string{"bridge_tls", "clickhouse.password", "Wrong password"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.modify(&c)
			_, err := open(t, c)
			if err == nil {
				t.Fatal("Open succeeded, want an error")
			}
			t.Logf("Open: %v", err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if errors.Is(err, chdb.ErrTLS) != tt.tls {
				t.Errorf("errors.Is(%q, ErrTLS) = %v, want %v", err, !tt.tls, tt.tls)
			}
			if strings.Contains(err.Error(), tlsPassword) {
				t.Errorf("error %q contains the password", err)
			}
		})
	}

	// insecure_skip_verify connects whatever the CA.
	t.Run("insecure skip verify", func(t *testing.T) {
		c := base()
		c.TLS.CAFile = ""
		c.TLS.InsecureSkipVerify = true
		if _, err := open(t, c); err != nil {
			t.Fatalf("Open with insecure_skip_verify: %v", err)
		}
	})

	if !strings.Contains(logs.String(), "clickhouse connected") {
		t.Fatalf("no connection was logged (positive control):\n%s", logs.String())
	}
	if strings.Contains(logs.String(), tlsPassword) {
		t.Errorf("the password is in the log:\n%s", logs.String())
	}
}

// A server that requires a client certificate admits the one its CA
// signed (clickhouse.tls.cert_file/key_file) and refuses a client without.
func TestTLSClientCertificate(t *testing.T) {
	if _, err := chlocal.Binary(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ca := newPKI(t, "mtls-ca")
	cert, key := ca.server("server")
	clientCert, clientKey := ca.client("client")
	srv, err := chlocal.StartWith(t.TempDir(), chlocal.Options{TLSCertFile: cert, TLSKeyFile: key, TLSClientCAFile: ca.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)

	tests := []struct {
		name      string
		cert, key string
		ok        bool
	}{
		{"with client certificate", clientCert, clientKey, true},
		{"without", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := chdb.NewDefaultConfig()
			c.Addr, c.Database = srv.TLSAddr(), "default"
			c.TLS = chdb.TLSConfig{Enabled: true, CAFile: ca.CAFile, CertFile: tt.cert, KeyFile: tt.key}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			db, err := chdb.Open(ctx, c, chdb.Settings{Logger: slog.New(slog.DiscardHandler)})
			if tt.ok {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer db.Close()
				var one uint8
				if err := db.Conn().QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
					t.Fatalf("SELECT 1 = %d, %v", one, err)
				}
				return
			}
			if err == nil {
				db.Close()
				t.Fatal("Open without a client certificate succeeded")
			}
			t.Logf("Open: %v", err)
			if !errors.Is(err, chdb.ErrTLS) || !strings.Contains(err.Error(), "clickhouse.tls.cert_file") {
				t.Errorf("error %q: want ErrTLS naming clickhouse.tls.cert_file", err)
			}
		})
	}
}
