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
// deliveries holding rows, gets the newest migration (deliveries rebuilt
// with attempted_ns in its sort key): both replicas' Replicated
// deliveries_local and the Distributed deliveries over it have the column,
// the old rows read through either — a first attempt and a replay's attempt
// 1 of the same second as two rows, which the old key collapsed — and a row
// written through one replica's Distributed table with its attempted_ns
// reads back through the other. No table of the rebuild is left.
func TestClusterUpgradeRebuildsDeliveries(t *testing.T) {
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
	if last := all[len(all)-1]; last.Name != "deliveries_attempt_key" {
		t.Fatalf("newest migration is %d %s: update this test for it", last.Version, last.Name)
	}
	chdb.Migrations = all[:len(all)-1]
	err := db.Migrate(ctx)
	chdb.Migrations = all
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 4, 5, 6, 7, 0, time.UTC)
	insert := func(db *chdb.DB, id string, more ...any) {
		t.Helper()
		cols := chdb.DeliveriesColumns
		for _, c := range []string{chdb.DeliveriesTriggerColumn, chdb.DeliveriesAttemptedNSColumn}[:len(more)] {
			cols += ", " + c
		}
		b, err := chdb.PrepareBatch(ctx, db.Conn(), "INSERT INTO "+db.Table("deliveries")+" ("+cols+")")
		if err != nil {
			t.Fatal(err)
		}
		vals := []any{id, "ev-" + id, "crm", "acme", "popin_captured", "wh", uint32(1), uint16(200), uint8(1), uint32(5), "",
			at, time.Unix(0, 0), uint8(0), "https://crm.example/h", "{}", "", "", "delivered"}
		if err := b.Append(append(vals, more...)...); err != nil {
			t.Fatal(err)
		}
		if err := b.Send(); err != nil {
			t.Fatal(err)
		}
	}
	for _, srv := range srvs { // keep a's two attempts apart until the copy (the old key collapses them)
		if _, err := srv.Query(ctx, "SYSTEM STOP MERGES "+cfg.Database+".deliveries_local"); err != nil {
			t.Fatal(err)
		}
	}
	insert(dbs[0], "old")
	insert(dbs[0], "a", "first")
	insert(dbs[1], "a", "replay")

	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if applied, err := db.AppliedMigrations(ctx); err != nil || len(applied) != len(all) {
		t.Fatalf("applied %v (%v), want all %d", applied, err, len(all))
	}
	insert(dbs[1], "new", "replay", uint64(at.UnixNano()+5))
	for i, srv := range srvs {
		for _, table := range []string{"deliveries", "deliveries_local"} {
			got, err := srv.Query(ctx, fmt.Sprintf("SELECT type FROM system.columns WHERE database = '%s' AND table = '%s' AND name = '%s'",
				cfg.Database, table, chdb.DeliveriesAttemptedNSColumn))
			if err != nil || got != "UInt64" {
				t.Errorf("replica %d %s.attempted_ns: %q (%v), want UInt64", i+1, table, got, err)
			}
		}
		if got, err := srv.Query(ctx, "SELECT name FROM system.tables WHERE database = '"+cfg.Database+"' AND name LIKE 'deliveries%' ORDER BY name"); err != nil ||
			got != "deliveries\ndeliveries_local" {
			t.Errorf("replica %d tables %q (%v), want deliveries and deliveries_local", i+1, got, err)
		}
		testkit.Eventually(t, 30*time.Second, func() error {
			got, err := srv.Query(ctx, "SELECT delivery_id, trigger, attempted_ns % 1000000000 FROM "+cfg.Database+".deliveries FINAL ORDER BY delivery_id, trigger FORMAT CSV")
			if want := "\"a\",\"first\",0\n\"a\",\"replay\",0\n\"new\",\"replay\",5\n\"old\",\"\",0"; err != nil || strings.TrimSpace(got) != want {
				return fmt.Errorf("replica %d reads %q (%v), want %q", i+1, got, err, want)
			}
			return nil
		})
	}
}
