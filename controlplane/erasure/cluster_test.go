package erasure_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/controlplane/erasure"
	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestErasureCluster erases a person on a cluster (clickhouse.cluster: one
// shard of two 18.16 replicas): the rows are gone, and the delivery bodies
// emptied, on both replicas' local tables when the job is done; another
// person's stay.
func TestErasureCluster(t *testing.T) {
	const cluster = "bridge_test"
	_, srvs := chtest.Cluster(t, cluster, 2)
	cfg := chdb.NewDefaultConfig()
	cfg.Addr, cfg.Database, cfg.Cluster = srvs[0].Addr(), chtest.DatabaseName("erasure_cluster"), cluster
	db := chtest.MigratedDB(t, cfg, chdb.Settings{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnvOn(t, db)
	asha := []string{e.event(t, "hashco", "u-asha", "a-1", `{"screen":"home"}`), e.event(t, "hashco", "u-asha", "a-1", `{"name":"Asha"}`)}
	bob := e.event(t, "hashco", "u-bob", "a-2", `{"screen":"home"}`)

	// onReplica counts, on replica i's local table, the rows of ids (and,
	// for deliveries, those still holding a body).
	onReplica := func(i int, ids ...string) string {
		t.Helper()
		in := "'" + strings.Join(ids, "','") + "'"
		out, err := srvs[i].Query(ctx, fmt.Sprintf(
			"SELECT (SELECT count() FROM %[1]s.events_local WHERE event_id IN (%[2]s)), "+
				"(SELECT countIf(request_body != '') FROM %[1]s.deliveries_local WHERE event_id IN (%[2]s)) FORMAT TSV", cfg.Database, in))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// The positive control: every row reached both replicas.
	for i := range srvs {
		testkit.Eventually(t, 30*time.Second, func() error {
			if got := onReplica(i, append(asha, bob)...); got != "3\t3" {
				return fmt.Errorf("replica %d holds %q of the fixture's events and bodies, want 3 and 3", i+1, got)
			}
			return nil
		})
	}

	j := e.erase(t, erasure.Request{Site: "hashco", UID: "u-asha"})
	if j.Counts.Events != 2 || j.Counts.Deliveries != 2 {
		t.Errorf("counts %+v, want 2 events, 2 deliveries", j.Counts)
	}
	// The job is done once the mutations finished on every replica.
	for i := range srvs {
		if got := onReplica(i, asha...); got != "0\t0" {
			t.Errorf("job done while replica %d still holds %q of the person's events and bodies", i+1, got)
		}
		if got := onReplica(i, bob); got != "1\t1" {
			t.Errorf("replica %d holds %q of another person's event and body, want 1 and 1", i+1, got)
		}
	}
}
