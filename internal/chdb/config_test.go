package chdb_test

import (
	"strings"
	"testing"

	"github.com/popinbridge/bridge/internal/chdb"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*chdb.Config)
		want   []string // substrings of the error; none = valid
	}{
		{"defaults", func(*chdb.Config) {}, nil},
		{"bad addr", func(c *chdb.Config) { c.Addr = "localhost" }, []string{"clickhouse.addr"}},
		{"empty addr", func(c *chdb.Config) { c.Addr = "" }, []string{"clickhouse.addr: required"}},
		{"bad database", func(c *chdb.Config) { c.Database = "my-db; DROP" }, []string{"clickhouse.database"}},
		{"cluster", func(c *chdb.Config) { c.Cluster = "prod_cluster-1.eu" }, nil},
		{"bad cluster", func(c *chdb.Config) { c.Cluster = "prod` DROP" }, []string{"clickhouse.cluster"}},
		{"all at once", func(c *chdb.Config) {
			c.Username = ""
			c.DialTimeout = 0
			c.ReadTimeout = -1
			c.MaxOpenConns = 0
			c.Compression = "zip"
		}, []string{"clickhouse.username", "clickhouse.dial_timeout", "clickhouse.read_timeout", "clickhouse.max_open_conns", "clickhouse.compression"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := chdb.NewDefaultConfig()
			tt.modify(&c)
			checkValidate(t, c.Validate(), tt.want)
		})
	}
}

// checkValidate fails t unless err, from Validate, is nil where want is
// empty, or mentions every one of want otherwise.
func checkValidate(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("Validate() = %v, want nil", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("Validate() = nil, want errors naming %v", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

func TestFeaturesFor(t *testing.T) {
	tests := []struct {
		v    chdb.Version
		want chdb.Features
	}{
		{chdb.Version{18, 16, 1}, chdb.Features{}},
		{chdb.Version{20, 3, 0}, chdb.Features{LowCardinality: true, Codecs: true, AllReplicas: true}},
		{chdb.Version{24, 8, 0}, chdb.Features{LowCardinality: true, Codecs: true, InsertDedup: true, AllReplicas: true}},
	}
	for _, tt := range tests {
		if got := chdb.FeaturesFor(tt.v); got != tt.want {
			t.Errorf("FeaturesFor(%v) = %+v, want %+v", tt.v, got, tt.want)
		}
	}
}

// The DDL for a modern server uses the gated features; 18.16's does not.
func TestMigrationDDLGating(t *testing.T) {
	old := chdb.FeaturesFor(chdb.Version{18, 16, 1})
	modern := chdb.FeaturesFor(chdb.Version{24, 8, 0})
	for _, m := range chdb.Migrations {
		for _, s := range m.Statements(old) {
			for _, bad := range []string{"LowCardinality", "CODEC", "TTL", "DateTime64", "non_replicated_deduplication_window"} {
				if strings.Contains(s, bad) {
					t.Errorf("migration %d on 18.16 uses %s", m.Version, bad)
				}
			}
		}
		joined := strings.Join(m.Statements(modern), "\n")
		if !strings.Contains(joined, "CREATE TABLE") {
			continue // a change to an existing table
		}
		if !strings.Contains(joined, "LowCardinality(String)") || !strings.Contains(joined, "CODEC(ZSTD(3))") {
			t.Errorf("migration %d on 24.8 does not use LowCardinality and CODEC:\n%s", m.Version, joined)
		}
	}
}

// Only servers with InsertDedup get the deliveries table's dedup window.
func TestDeliveriesDedupGating(t *testing.T) {
	var m chdb.Migration
	for _, x := range chdb.Migrations {
		if x.Name == "deliveries_insert_dedup" {
			m = x
		}
	}
	if m.Statements == nil {
		t.Fatal("no deliveries_insert_dedup migration")
	}
	if got := m.Statements(chdb.FeaturesFor(chdb.Version{18, 16, 1})); len(got) != 0 {
		t.Errorf("18.16 gets %q, want nothing", got)
	}
	got := strings.Join(m.Statements(chdb.FeaturesFor(chdb.Version{24, 8, 0})), "\n")
	if !strings.Contains(got, "deliveries MODIFY SETTING non_replicated_deduplication_window") {
		t.Errorf("24.8 gets %q, want the dedup window on deliveries", got)
	}
}
