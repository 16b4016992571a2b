package chdb_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// A cluster (one shard of two replicas) migrated by the previous release,
// deliveries holding a row, gets the newest migration (deliveries.trigger):
// both replicas' Replicated deliveries_local and the Distributed deliveries
// over it gain the column, the old row reads "" through either, and a row
// written through one replica's Distributed table with a trigger reads
// back through the other.
func TestClusterUpgradeAddsDeliveriesColumn(t *testing.T) {
	const cluster = "bridge_test"
	_, srvs := chtest.Cluster(t, cluster, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := chdb.NewDefaultConfig()
	cfg.Database, cfg.Cluster = fmt.Sprintf("chdb_upgrade_cluster_%d", os.Getpid()), cluster
	var dbs []*chdb.DB // one through each replica (inserts into Distributed tables are synchronous)
	for _, srv := range srvs {
		cfg.Addr = srv.Addr()
		db, err := chdb.Open(ctx, cfg, chdb.Settings{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	db := dbs[0]
	all := chdb.Migrations
	if last := all[len(all)-1]; last.Name != "deliveries_trigger" {
		t.Fatalf("newest migration is %d %s: update this test for it", last.Version, last.Name)
	}
	chdb.Migrations = all[:len(all)-1]
	err := db.Migrate(ctx)
	chdb.Migrations = all
	if err != nil {
		t.Fatal(err)
	}
	insert := func(db *chdb.DB, id string, trigger ...string) {
		t.Helper()
		cols := chdb.DeliveriesColumns
		if len(trigger) > 0 {
			cols += ", " + chdb.DeliveriesTriggerColumn
		}
		b, err := chdb.PrepareBatch(ctx, db.Conn(), "INSERT INTO "+db.Table("deliveries")+" ("+cols+")")
		if err != nil {
			t.Fatal(err)
		}
		vals := []any{id, "ev-" + id, "crm", "acme", "popin_captured", "wh", uint32(1), uint16(200), uint8(1), uint32(5), "",
			time.Date(2026, 11, 4, 5, 6, 7, 0, time.UTC), time.Unix(0, 0), uint8(0), "https://crm.example/h", "{}", "", "", "delivered"}
		for _, tr := range trigger {
			vals = append(vals, tr)
		}
		if err := b.Append(vals...); err != nil {
			t.Fatal(err)
		}
		if err := b.Send(); err != nil {
			t.Fatal(err)
		}
	}
	insert(dbs[0], "old")

	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if applied, err := db.AppliedMigrations(ctx); err != nil || len(applied) != len(all) {
		t.Fatalf("applied %v (%v), want all %d", applied, err, len(all))
	}
	insert(dbs[1], "new", "replay")
	for i, srv := range srvs {
		for _, table := range []string{"deliveries", "deliveries_local"} {
			got, err := srv.Query(ctx, fmt.Sprintf("SELECT type FROM system.columns WHERE database = '%s' AND table = '%s' AND name = '%s'",
				cfg.Database, table, chdb.DeliveriesTriggerColumn))
			if err != nil || got != "String" {
				t.Errorf("replica %d %s.trigger: %q (%v), want String", i+1, table, got, err)
			}
		}
		testkit.Eventually(t, 30*time.Second, func() error {
			got, err := srv.Query(ctx, "SELECT delivery_id, trigger FROM "+cfg.Database+".deliveries FINAL ORDER BY delivery_id FORMAT CSV")
			if want := "\"new\",\"replay\"\n\"old\",\"\""; err != nil || strings.TrimSpace(got) != want {
				return fmt.Errorf("replica %d reads %q (%v), want %q", i+1, got, err, want)
			}
			return nil
		})
	}
}
