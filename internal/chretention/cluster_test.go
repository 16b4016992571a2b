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

// TestRetentionCluster applies the retention on a cluster
// (clickhouse.cluster: one shard of two 18.16 replicas): on both replicas'
// local tables a month wholly past the retention is dropped as a partition,
// older rows of a newer month are deleted, old delivery bodies emptied, and
// newer rows kept.
func TestRetentionCluster(t *testing.T) {
	const cluster = "bridge_test"
	_, srvs := chtest.Cluster(t, cluster, 2)
	cfg := chdb.NewDefaultConfig()
	cfg.Addr, cfg.Database, cfg.Cluster = srvs[0].Addr(), chtest.DatabaseName("retention_cluster"), cluster
	db := chtest.MigratedDB(t, cfg, chdb.Settings{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	old := row(t, db, "a", 100) // August 2026: the month is past the 60 days, dropped
	mid := row(t, db, "a", 65)  // October 2026, past 60 days: deleted
	kept := row(t, db, "a", 40) // kept, its body (20 days) emptied
	fresh := row(t, db, "a", 5) // kept with its body
	ids := []string{old, mid, kept, fresh}

	// state is, on replica i's local tables, per id: event kept, delivery
	// kept, body kept (1/0); then the count of August's active parts.
	state := func(i int) string {
		t.Helper()
		q := "SELECT "
		for _, id := range ids {
			q += fmt.Sprintf("(SELECT count() FROM %[1]s.events_local WHERE event_id = '%[2]s'), "+
				"(SELECT count() FROM %[1]s.deliveries_local WHERE event_id = '%[2]s'), "+
				"(SELECT countIf(request_body != '') FROM %[1]s.deliveries_local WHERE event_id = '%[2]s'), ", cfg.Database, id)
		}
		q += fmt.Sprintf("(SELECT count() FROM system.parts WHERE database = '%s' AND table IN ('events_local', 'deliveries_local') "+
			"AND partition = '202608' AND active) FORMAT CSV", cfg.Database)
		out, err := srvs[i].Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// The positive control: every row reached both replicas.
	for i := range srvs {
		testkit.Eventually(t, 30*time.Second, func() error {
			if got, want := state(i), "1,1,1,1,1,1,1,1,1,1,1,1,2"; got != want {
				return fmt.Errorf("replica %d before the pass: %s, want %s", i+1, got, want)
			}
			return nil
		})
	}

	rc := chretention.NewDefaultConfig()
	rc.EventsDays, rc.DeliveriesDays, rc.DeliveryBodiesDays = 60, 60, 20
	pass(t, db, rc, site.Site{ID: "a", WriteKey: "k"})
	for i := range srvs {
		testkit.Eventually(t, 30*time.Second, func() error {
			if got, want := state(i), "0,0,0,0,0,0,1,1,0,1,1,1,0"; got != want {
				return fmt.Errorf("replica %d after the pass: %s, want %s", i+1, got, want)
			}
			return nil
		})
	}
}
