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

// TestRetentionShards applies the retention through shard 1 of a cluster
// of two shards (one 18.16 replica each) whose old month lies on shard 2
// only: the pass drops that partition there too, deletes shard 2's older
// rows of a newer month and keeps the newer rows of both shards.
func TestRetentionShards(t *testing.T) {
	const cluster = "bridge_shards"
	_, srvs := chtest.Shards(t, cluster, 1, 1)
	cfg := chdb.NewDefaultConfig()
	cfg.Addr, cfg.Database, cfg.Cluster = srvs[0].Addr(), chtest.DatabaseName("retention_shards"), cluster
	db := chtest.MigratedDB(t, cfg, chdb.Settings{})
	cfg2 := cfg
	cfg2.Addr = srvs[1].Addr()
	db2 := chtest.MigratedDB(t, cfg2, chdb.Settings{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kept1 := rowIn(t, db, chdb.LocalSuffix, "a", 40)  // October 2026 on shard 1: kept
	old2 := rowIn(t, db2, chdb.LocalSuffix, "a", 100) // August 2026 on shard 2: the month is past the 60 days, dropped
	mid2 := rowIn(t, db2, chdb.LocalSuffix, "a", 65)  // October 2026 on shard 2, past 60 days: deleted
	kept2 := rowIn(t, db2, chdb.LocalSuffix, "a", 41) // kept
	ids := [][]string{{kept1}, {old2, mid2, kept2}}

	// state is, on shard i's local tables, per id of that shard: event and
	// delivery kept (1/0); then the count of August's active parts.
	state := func(i int) string {
		t.Helper()
		q := "SELECT "
		for _, id := range ids[i] {
			q += fmt.Sprintf("(SELECT count() FROM %[1]s.events_local WHERE event_id = '%[2]s'), "+
				"(SELECT count() FROM %[1]s.deliveries_local WHERE event_id = '%[2]s'), ", cfg.Database, id)
		}
		q += fmt.Sprintf("(SELECT count() FROM system.parts WHERE database = '%s' AND table IN ('events_local', 'deliveries_local') "+
			"AND partition = '202608' AND active) FORMAT CSV", cfg.Database)
		out, err := srvs[i].Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// The positive control: each shard holds its rows, August on shard 2.
	for i, want := range []string{"1,1,0", "1,1,1,1,1,1,2"} {
		if got := state(i); got != want {
			t.Fatalf("shard %d before the pass: %s, want %s", i+1, got, want)
		}
	}

	rc := chretention.NewDefaultConfig()
	rc.EventsDays, rc.DeliveriesDays = 60, 60
	pass(t, db, rc, site.Site{ID: "a", WriteKey: "k"})
	for i, want := range []string{"1,1,0", "0,0,0,0,1,1,0"} {
		testkit.Eventually(t, 30*time.Second, func() error {
			if got := state(i); got != want {
				return fmt.Errorf("shard %d after the pass: %s, want %s", i+1, got, want)
			}
			return nil
		})
	}
}
