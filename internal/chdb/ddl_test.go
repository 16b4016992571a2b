package chdb_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
)

// On one server (no clickhouse.cluster) the DDL is exactly what it was
// before clusters existed: testdata/single_*.sql were rendered from the
// code of that time (migrations 1-3) and may only grow by new migrations.
func TestSingleNodeDDLUnchanged(t *testing.T) {
	for name, v := range map[string]chdb.Version{"18.16": {18, 16, 1}, "24.8": {24, 8, 0}} {
		want, err := os.ReadFile("testdata/single_" + name + ".sql")
		if err != nil {
			t.Fatal(err)
		}
		if got := chdb.DDLText(chdb.FeaturesFor(v)); got != string(want) {
			t.Errorf("%s: single-server DDL changed:\n%s", name, got)
		}
	}
}

// On a cluster every statement is ON CLUSTER; each table is a replicated
// *_local table plus a Distributed table of the usual name over it, sharded
// by the row's identity; the non-replicated dedup window is never used.
func TestClusterDDL(t *testing.T) {
	for _, v := range []chdb.Version{{18, 16, 1}, {24, 8, 0}} {
		f := chdb.FeaturesFor(v)
		f.Cluster = "prod-1"
		text := chdb.DDLText(f)
		for _, m := range chdb.Migrations {
			for _, s := range m.Statements(f) {
				if !strings.Contains(s, " ON CLUSTER `prod-1`") {
					t.Errorf("%v: migration %d statement lacks ON CLUSTER:\n%s", v, m.Version, s)
				}
			}
		}
		for _, want := range []string{
			"CREATE TABLE IF NOT EXISTS {db}.events_local ON CLUSTER `prod-1` (\n    event_id     String,",
			"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{db_name}/events_local', '{replica}')\nPARTITION BY toYYYYMM(event_date)",
			"CREATE TABLE IF NOT EXISTS {db}.events ON CLUSTER `prod-1` AS {db}.events_local\nENGINE = Distributed('prod-1', '{db_name}', 'events_local', cityHash64(event_id))",
			"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{db_name}/deliveries_local', '{replica}')\nPARTITION BY toYYYYMM(attempted_at)",
			"CREATE TABLE IF NOT EXISTS {db}.deliveries ON CLUSTER `prod-1` AS {db}.deliveries_local\nENGINE = Distributed('prod-1', '{db_name}', 'deliveries_local', cityHash64(delivery_id))",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%v: cluster DDL lacks %q:\n%s", v, want, text)
			}
		}
		if strings.Contains(text, "non_replicated_deduplication_window") || strings.Contains(text, "ENGINE = ReplacingMergeTree") {
			t.Errorf("%v: cluster DDL uses a non-replicated engine or setting:\n%s", v, text)
		}
	}
}

// A database migrated for one server is not silently used as a cluster's:
// with clickhouse.cluster set, Migrate refuses it before queueing any DDL.
func TestClusterRefusesSingleServerDatabase(t *testing.T) {
	db, srv := openFresh(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := chdb.NewDefaultConfig()
	cfg.Addr, cfg.Database, cfg.Cluster = srv.Addr(), db.Database(), "no_such_cluster"
	cdb, err := chdb.Open(ctx, cfg, chdb.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer cdb.Close()
	err = cdb.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "clickhouse.cluster: database "+db.Database()+" was migrated for one server") {
		t.Fatalf("Migrate with cluster on a single-server database: %v", err)
	}
}
