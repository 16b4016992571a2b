package chretention_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chretention"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestRetentionCluster applies the retention, through shard 1, on a
// cluster (clickhouse.cluster) of two shards of 18.16 servers: shard 1 of
// two replicas, shard 2 of one, with rows written to each shard's local
// tables. On every server a month wholly past the retention is dropped as
// a partition — also July, held by shard 2 only — older rows of a newer
// month are deleted, old delivery bodies emptied, and newer rows kept.
func TestRetentionCluster(t *testing.T) {
	const cluster = "bridge_test"
	_, srvs := chtest.Shards(t, cluster, 2, 1) // shard 1: srvs[0], srvs[1]; shard 2: srvs[2]
	cfg := chdb.NewDefaultConfig()
	cfg.Addr, cfg.Database, cfg.Cluster = srvs[0].Addr(), chtest.DatabaseName("retention_cluster"), cluster
	db := chtest.MigratedDB(t, cfg, chdb.Settings{})
	cfg2 := cfg
	cfg2.Addr = srvs[2].Addr()
	db2 := chtest.MigratedDB(t, cfg2, chdb.Settings{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	shard1 := []string{
		rowIn(t, db, chdb.LocalSuffix, "a", 100), // August 2026: the month is past the 60 days, dropped
		rowIn(t, db, chdb.LocalSuffix, "a", 65),  // October 2026, past 60 days: deleted
		rowIn(t, db, chdb.LocalSuffix, "a", 40),  // kept, its body (20 days) emptied
		rowIn(t, db, chdb.LocalSuffix, "a", 5),   // kept with its body
	}
	shard2 := []string{
		rowIn(t, db2, chdb.LocalSuffix, "a", 130), // July 2026, on shard 2 only: dropped
		rowIn(t, db2, chdb.LocalSuffix, "a", 41),  // kept, its body emptied
	}
	ids := [][]string{shard1, shard1, shard2} // per server

	// state is, on server i's local tables, per id of its shard: event
	// kept, delivery kept, body kept (1/0); then the count of the active
	// parts of July and August.
	state := func(i int) string {
		t.Helper()
		q := "SELECT "
		for _, id := range ids[i] {
			q += fmt.Sprintf("(SELECT count() FROM %[1]s.events_local WHERE event_id = '%[2]s'), "+
				"(SELECT count() FROM %[1]s.deliveries_local WHERE event_id = '%[2]s'), "+
				"(SELECT countIf(request_body != '') FROM %[1]s.deliveries_local WHERE event_id = '%[2]s'), ", cfg.Database, id)
		}
		q += fmt.Sprintf("(SELECT count() FROM system.parts WHERE database = '%s' AND table IN ('events_local', 'deliveries_local') "+
			"AND partition IN ('202607', '202608') AND active) FORMAT CSV", cfg.Database)
		out, err := srvs[i].Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// settles waits until server i's state is want.
	settles := func(i int, want string) {
		t.Helper()
		testkit.Eventually(t, 30*time.Second, func() error {
			if got := state(i); got != want {
				return fmt.Errorf("server %d: %s, want %s", i+1, got, want)
			}
			return nil
		})
	}
	// The positive control: every row reached both replicas of its shard,
	// August on shard 1 and July on shard 2.
	before := []string{"1,1,1,1,1,1,1,1,1,1,1,1,2", "1,1,1,1,1,1,1,1,1,1,1,1,2", "1,1,1,1,1,1,2"}
	for i := range srvs {
		settles(i, before[i])
	}

	rc := chretention.NewDefaultConfig()
	rc.EventsDays, rc.DeliveriesDays, rc.DeliveryBodiesDays = 60, 60, 20
	pass(t, db, rc, site.Site{ID: "a", WriteKey: "k"})
	after := []string{"0,0,0,0,0,0,1,1,0,1,1,1,0", "0,0,0,0,0,0,1,1,0,1,1,1,0", "0,0,0,1,1,0,0"}
	for i := range srvs {
		settles(i, after[i])
	}
}
