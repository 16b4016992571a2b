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

// TestErasureShards erases a person whose rows lie on both shards of a
// cluster (two shards of one 18.16 replica each, written through the
// Distributed tables) through shard 1, while shard 2 runs no mutation
// (SYSTEM STOP MERGES): the job finishes shard 1 and stays running; once
// shard 2 runs mutations again the job is done and the person's rows are
// gone, their bodies emptied, on both shards; another person's stay.
func TestErasureShards(t *testing.T) {
	const cluster = "bridge_shards"
	_, srvs := chtest.Shards(t, cluster, 1, 1)
	cfg := chdb.NewDefaultConfig()
	cfg.Addr, cfg.Database, cfg.Cluster = srvs[0].Addr(), chtest.DatabaseName("erasure_shards"), cluster
	db := chtest.MigratedDB(t, cfg, chdb.Settings{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnvOn(t, db)
	var asha []string // the 6th event (and the 2nd, 5th, 6th deliveries) on shard 2
	for range 6 {
		asha = append(asha, e.event(t, "hashco", "u-asha", "a-1", `{"screen":"home"}`))
	}
	bob := e.event(t, "hashco", "u-bob", "a-2", `{"screen":"home"}`)

	// onShard is, on shard i's local tables, the count of the rows of ids
	// and of their deliveries still holding a body.
	onShard := func(i int, ids ...string) string {
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
	// The positive control: the Distributed tables spread the person's
	// events and bodies over both shards.
	var before [2]string
	testkit.Eventually(t, 30*time.Second, func() error {
		var ev, body [2]int
		for i := range srvs {
			before[i] = onShard(i, asha...)
			fmt.Sscanf(before[i], "%d\t%d", &ev[i], &body[i])
		}
		if ev[0]+ev[1] != 6 || body[0]+body[1] != 6 || min(ev[0], ev[1], body[0], body[1]) == 0 {
			return fmt.Errorf("the person's events and bodies on shards 1 and 2: %q, want all 6 of each, on both", before)
		}
		return nil
	})
	bobBefore := [2]string{onShard(0, bob), onShard(1, bob)}

	if _, err := srvs[1].Query(ctx, "SYSTEM STOP MERGES"); err != nil {
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
	testkit.Eventually(t, 30*time.Second, func() error {
		if got := onShard(0, asha...); got != "0\t0" {
			return fmt.Errorf("shard 1 still holds %q of the person's events and bodies", got)
		}
		return nil
	})
	// ... and the job waits for shard 2: it stays running through several
	// of its polls of system.mutations (at most 2s apart).
	for range 25 {
		if s := status(); s != erasure.StatusRunning {
			t.Fatalf("job %s while shard 2 runs no mutation and holds %q of the person's events and bodies", s, onShard(1, asha...))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := onShard(1, asha...); got != before[1] {
		t.Fatalf("shard 2 holds %q of the person's events and bodies with merges stopped, want %q", got, before[1])
	}

	if _, err := srvs[1].Query(ctx, "SYSTEM START MERGES"); err != nil {
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
		if got := onShard(i, asha...); got != "0\t0" {
			t.Errorf("job done while shard %d holds %q of the person's events and bodies", i+1, got)
		}
		if got := onShard(i, bob); got != bobBefore[i] {
			t.Errorf("shard %d holds %q of another person's event and body, had %q", i+1, got, bobBefore[i])
		}
	}
}
