package config

import (
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestParseExpandsEnvAndRejectsUnknownKeys(t *testing.T) {
	t.Setenv("BRIDGE_TEST_TOKEN", "0123456789abcdef0123")
	cases := []struct {
		name    string
		yaml    string
		wantErr string
		check   func(t *testing.T, c *Config)
	}{
		{"empty file is the defaults", "", "", func(t *testing.T, c *Config) {
			if !reflect.DeepEqual(c, Default()) {
				t.Errorf("empty file differs from Default()")
			}
		}},
		{"env var", `admin_token: "${BRIDGE_TEST_TOKEN}"`, "", func(t *testing.T, c *Config) {
			if c.AdminToken != "0123456789abcdef0123" {
				t.Errorf("admin_token = %q", c.AdminToken)
			}
		}},
		{"env default", `admin_token: "${BRIDGE_TEST_UNSET:-fallback-token-0000}"`, "", func(t *testing.T, c *Config) {
			if c.AdminToken != "fallback-token-0000" {
				t.Errorf("admin_token = %q", c.AdminToken)
			}
		}},
		{"dollar kept", `clickhouse: {password: "pa$$word"}`, "", func(t *testing.T, c *Config) {
			if c.ClickHouse.Password != "pa$$word" {
				t.Errorf("password = %q", c.ClickHouse.Password)
			}
		}},
		{"nested default kept", "ingest:\n  max_keys: 7\n", "", func(t *testing.T, c *Config) {
			if c.Ingest.MaxKeys != 7 || c.Ingest.MaxEventsPerBatch != 500 {
				t.Errorf("ingest = %+v", c.Ingest)
			}
		}},
		{"event_log keys: NATS and the log's own", "event_log:\n  dir: /d\n  url: nats://a:4222, nats://b:4222\n  stream_name: S\n", "",
			func(t *testing.T, c *Config) {
				if n := c.EventLog.NATS; n.Dir != "/d" || n.URL != "nats://a:4222, nats://b:4222" || c.EventLog.StreamName != "S" {
					t.Errorf("event_log = %+v", c.EventLog)
				}
			}},
		{"unknown key", "listne: x\n", "field listne not found", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	c, err := Parse([]byte(`
listen: "nope"
admin_listen: "nope"
log_level: loud
role: everything
admin_token: short
master_key: "not base64!"
ingest: {max_events_per_batch: 0}
clickhouse: {addr: ""}
event_log: {url: "http://nats:4222", max_bytes: 1, replicas: 9}
sites:
  - {id: acme, write_key: pk, origins: ["ftp//x"]}
  - {id: acme, write_key: pk}
endpoints:
  - {id: crm, site: ghost, type: webhook, url: "http://127.0.0.1/x", auth: none, filter: 'name == "a" && nme == 1'}
`))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if err == nil {
		t.Fatal("invalid config validated")
	}
	for _, want := range []string{"listen:", "admin_listen:", "log_level:", "role:", "admin_token:", "master_key:", "ingest.max_events_per_batch",
		"clickhouse.addr", "event_log.url:", "event_log.replicas:", "max_bytes", "sites[0].origins", "sites[1].id", "sites[1].write_key", "endpoints[0].site", "endpoints[0].url",
		"endpoints[0].filter: line 1, column 16: unknown name nme"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
	// A section's own key names are not prefixed a second time.
	for _, twice := range []string{"clickhouse.clickhouse.", "ingest.ingest.", "event_log.event_log."} {
		if strings.Contains(err.Error(), twice) {
			t.Errorf("problems name a key twice (%q):\n%v", twice, err)
		}
	}
}

func TestDefaultYAMLRoundTrips(t *testing.T) {
	b, err := DefaultYAML()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(b)
	if err != nil {
		t.Fatalf("defaults do not parse back: %v\n%s", err, b)
	}
	// Rendered again, they must be the same text (nil and empty lists
	// differ in Go but not in YAML).
	var again strings.Builder
	enc := yaml.NewEncoder(&again)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		t.Fatal(err)
	}
	if again.String() != string(b) {
		t.Errorf("defaults do not round-trip:\n%s\nvs\n%s", again.String(), b)
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}
