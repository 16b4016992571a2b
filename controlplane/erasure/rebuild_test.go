package erasure_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popinbridge/bridge/controlplane/erasure"
	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// crashOnCopy is a log handler that cancels a migration when it logs that
// it starts copying its n-th partition: the copy stops there as after a
// crash (the partitions before copied and dropped from the old table).
type crashOnCopy struct {
	n      int32
	seen   *atomic.Int32
	cancel context.CancelFunc
}

func (h crashOnCopy) Enabled(context.Context, slog.Level) bool { return true }
func (h crashOnCopy) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h crashOnCopy) WithGroup(string) slog.Handler            { return h }
func (h crashOnCopy) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "clickhouse migration: copying partition" && h.seen.Add(1) == h.n {
		h.cancel()
	}
	return nil
}

// TestErasureDuringDeliveriesRebuild erases a person while migration 8's
// copy of deliveries is unfinished — after a crash that left one of the
// person's two months copied into the new table and the other in the old
// one — on one server and on a cluster of one shard of two replicas. The
// job waits (running, Job.Waiting says why) instead of emptying only the
// copied month's bodies; once a second Migrate finishes the copy, it is
// done and no delivery of the person holds a body in either month, on any
// server.
func TestErasureDuringDeliveriesRebuild(t *testing.T) {
	all := chdb.Migrations
	if len(all) != 8 || all[7].Name != "deliveries_attempt_key" {
		t.Fatalf("the newest migration is %s of %d: update this test", all[len(all)-1].Name, len(all))
	}
	for _, cluster := range []bool{false, true} {
		t.Run(fmt.Sprintf("cluster=%v", cluster), func(t *testing.T) {
			cfg := chdb.NewDefaultConfig()
			cfg.Database = chtest.DatabaseName("erasure_rebuild")
			var srvs []*chtest.Server
			if cluster {
				_, srvs = chtest.Cluster(t, "bridge_test", 2)
				cfg.Cluster = "bridge_test"
			} else {
				srvs = []*chtest.Server{chtest.Shared(t)}
			}
			cfg.Addr = srvs[0].Addr()
			chdb.Migrations = all[:7]
			t.Cleanup(func() { chdb.Migrations = all })
			db := chtest.MigratedDB(t, cfg, chdb.Settings{})
			chdb.Migrations = all
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			e := newEnvOn(t, db)

			// The person's events, each with a delivery this month (e.event)
			// and one in January 2025.
			p := []string{e.event(t, "hashco", "u-p", "a-p", `{"screen":"home"}`), e.event(t, "hashco", "u-p", "a-p", `{"screen":"cart"}`)}
			old := time.Date(2025, 1, 15, 10, 0, 0, 0, time.UTC)
			for _, id := range p {
				b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO "+db.Table("deliveries")+" ("+chdb.DeliveriesColumns+")")
				if err != nil {
					t.Fatal(err)
				}
				if err := b.Append("d-jan-"+id, id, "crm", "hashco", "popin_captured", "w", uint32(1), uint16(200), uint8(1), uint32(5), "",
					old, time.Unix(0, 0).UTC(), uint8(0), "https://crm/", "{}", `{"body":"x"}`, `{"ok":true}`, "succeeded"); err != nil {
					t.Fatal(err)
				}
				if err := b.Send(); err != nil {
					t.Fatal(err)
				}
			}
			in := "('" + strings.Join(p, "','") + "')"
			// bodies is, on server i, the count of the person's deliveries
			// in table (a storage table) holding a body, by month.
			bodies := func(i int, table string) string {
				t.Helper()
				if cluster {
					table += chdb.LocalSuffix
				}
				out, err := srvs[i].Query(ctx, "SELECT toYYYYMM(attempted_at) AS m, countIf(request_body != '' OR response_body != '') FROM "+
					cfg.Database+"."+table+" WHERE event_id IN "+in+" GROUP BY m ORDER BY m FORMAT CSV")
				if err != nil {
					t.Fatal(err)
				}
				return strings.TrimSpace(out)
			}
			thisMonth := time.Now().UTC().Format("200601")

			// Migration 8 crashes as it starts copying its second month.
			var seen atomic.Int32
			mctx, mcancel := context.WithCancel(ctx)
			defer mcancel()
			mdb, err := chdb.Open(ctx, cfg, chdb.Settings{Logger: slog.New(crashOnCopy{n: 2, seen: &seen, cancel: mcancel})})
			if err != nil {
				t.Fatal(err)
			}
			defer mdb.Close()
			if err := mdb.Migrate(mctx); err == nil || seen.Load() != 2 {
				t.Fatalf("migrate stopped by the crash: %v after %d partitions, want an error at the 2nd", err, seen.Load())
			}
			// The positive control: the person's bodies are in both months,
			// January copied, this month still in the old table.
			for i := range srvs {
				testkit.Eventually(t, 30*time.Second, func() error {
					got := [2]string{bodies(i, "deliveries"), bodies(i, "deliveries_v7")}
					if want := [2]string{"202501,2", thisMonth + ",2"}; got != want {
						return fmt.Errorf("server %d: the person's bodies in deliveries, deliveries_v7: %q, want %q", i+1, got, want)
					}
					return nil
				})
			}

			j, err := e.svc.Submit(ctx, erasure.Request{Site: "hashco", UID: "u-p"}, "admin_token")
			if err != nil {
				t.Fatal(err)
			}
			job := func() erasure.Job {
				t.Helper()
				got, err := e.svc.Job(ctx, j.ID)
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			// The job either waits for the copy or (before the fix) ends.
			testkit.Eventually(t, 30*time.Second, func() error {
				if j = job(); j.Waiting == "" && j.Status != erasure.StatusDone {
					return fmt.Errorf("job %s, waiting %q", j.Status, j.Waiting)
				}
				return nil
			})
			if j.Status == erasure.StatusRunning && j.Waiting != erasure.WaitingRebuild {
				t.Errorf("waiting job's reason %q, want %q", j.Waiting, erasure.WaitingRebuild)
			}

			// The copy resumes (a restart's Migrate) and finishes.
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			testkit.Eventually(t, 60*time.Second, func() error {
				if j = job(); j.Status != erasure.StatusDone {
					return fmt.Errorf("job %s (%s), waiting %q", j.Status, j.Error, j.Waiting)
				}
				return nil
			})
			if j.Waiting != "" || j.Counts.Events != 2 || j.Counts.Deliveries != 4 {
				t.Errorf("done job: waiting %q, counts %+v, want no reason, 2 events and 4 deliveries", j.Waiting, j.Counts)
			}
			for i := range srvs {
				if got, want := bodies(i, "deliveries"), "202501,0\n"+thisMonth+",0"; got != want {
					t.Errorf("server %d: job done, the person's deliveries holding a body by month:\n%s\nwant\n%s", i+1, got, want)
				}
			}
		})
	}
}
