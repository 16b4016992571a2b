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

// TestErasureCluster erases a person, through shard 1, on a cluster
// (clickhouse.cluster) of two shards of 18.16 servers — shard 1 of two
// replicas, shard 2 of one — whose rows the Distributed tables spread over
// both shards. While shard 2 runs no mutation (SYSTEM STOP MERGES) the job
// finishes shard 1 and stays running; once shard 2 runs them the job is
// done, and then the person's rows are gone, their bodies emptied, on
// every server; another person's stay.
func TestErasureCluster(t *testing.T) {
	const cluster = "bridge_test"
	_, srvs := chtest.Shards(t, cluster, 2, 1) // shard 1: srvs[0], srvs[1]; shard 2: srvs[2]
	cfg := chdb.NewDefaultConfig()
	cfg.Addr, cfg.Database, cfg.Cluster = srvs[0].Addr(), chtest.DatabaseName("erasure_cluster"), cluster
	db := chtest.MigratedDB(t, cfg, chdb.Settings{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnvOn(t, db)
	var asha []string // cityHash64 puts the 6th event, and the 2nd, 5th and 6th deliveries, on shard 2
	for range 6 {
		asha = append(asha, e.event(t, "hashco", "u-asha", "a-1", `{"screen":"home"}`))
	}
	bob := e.event(t, "hashco", "u-bob", "a-2", `{"screen":"home"}`)

	// on is, on server i's local tables, the count of the rows of ids and
	// of their deliveries still holding a body.
	on := func(i int, ids ...string) string {
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
	// The positive control: the person's rows are on both shards, and on
	// both replicas of shard 1.
	testkit.Eventually(t, 30*time.Second, func() error {
		got := [3]string{on(0, asha...), on(1, asha...), on(2, asha...)}
		if got != [3]string{"5\t3", "5\t3", "1\t3"} {
			return fmt.Errorf("the person's events and bodies per server: %q, want 5 and 3 on shard 1's replicas, 1 and 3 on shard 2", got)
		}
		return nil
	})
	bobBefore := [3]string{on(0, bob), on(1, bob), on(2, bob)}

	if _, err := srvs[2].Query(ctx, "SYSTEM STOP MERGES"); err != nil {
		t.Fatal(err)
	}
	j, err := e.svc.Submit(ctx, erasure.Request{Site: "hashco", UID: "u-asha"}, "admin_token")
	if err != nil {
		t.Fatal(err)
	}
	status := func() string {
		t.Helper()
		got, err := e.svc.Job(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		j = got
		return got.Status
	}
	// Shard 1 has done its part (the positive control) ...
	for i := range 2 {
		testkit.Eventually(t, 30*time.Second, func() error {
			if got := on(i, asha...); got != "0\t0" {
				return fmt.Errorf("server %d still holds %q of the person's events and bodies", i+1, got)
			}
			return nil
		})
	}
	// ... shard 2 has the job's mutations queued, not done (what the job
	// must wait for) ...
	testkit.Eventually(t, 30*time.Second, func() error {
		out, err := srvs[2].Query(ctx, fmt.Sprintf("SELECT count() FROM system.mutations WHERE database = '%s' AND is_done = 0", cfg.Database))
		if err != nil || strings.TrimSpace(out) == "0" {
			return fmt.Errorf("shard 2 has no pending mutation yet: %q %v", out, err)
		}
		return nil
	})
	// ... and the job waits for shard 2: it stays running through two of
	// its reads of system.mutations that found shard 2's pending (the
	// read under way now may have begun before; the old check of the
	// connected replica alone answered done within one read).
	from := e.svc.PendingChecks()
	testkit.Eventually(t, 30*time.Second, func() error {
		if s := status(); s != erasure.StatusRunning {
			t.Fatalf("job %s while shard 2 runs no mutation and holds %q of the person's events and bodies", s, on(2, asha...))
		}
		if n := e.svc.PendingChecks() - from; n < 3 {
			return fmt.Errorf("the job read system.mutations %d times since shard 2's were seen pending, want 3", n)
		}
		return nil
	})
	if s := status(); s != erasure.StatusRunning {
		t.Fatalf("job %s after reading shard 2's mutations pending", s)
	}
	if got := on(2, asha...); got != "1\t3" {
		t.Fatalf("shard 2 holds %q of the person's events and bodies with merges stopped, want 1 and 3", got)
	}

	if _, err := srvs[2].Query(ctx, "SYSTEM START MERGES"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 60*time.Second, func() error {
		if s := status(); s != erasure.StatusDone {
			return fmt.Errorf("job %s", s)
		}
		return nil
	})
	if j.Counts.Events != 6 || j.Counts.Deliveries != 6 {
		t.Errorf("counts %+v, want 6 events, 6 deliveries", j.Counts)
	}
	for i := range srvs {
		if got := on(i, asha...); got != "0\t0" {
			t.Errorf("job done while server %d holds %q of the person's events and bodies", i+1, got)
		}
		if got := on(i, bob); got != bobBefore[i] {
			t.Errorf("server %d holds %q of another person's event and body, had %q", i+1, got, bobBefore[i])
		}
	}
}
