package chdb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
)

// v7Row is a deliveries row as a release at migration 7 writes it (no
// attempted_ns): SQL VALUES text.
func v7Row(id string, attempt int, at, trigger, state string) string {
	return fmt.Sprintf("('%s', 'ev-%s', 'crm', 'acme', 'popin_captured', 'wh', %d, 500, 0, 5, 'status 500', "+
		"toDateTime('%s', 'UTC'), toDateTime(0), 0, 'https://crm.example/h', '{}', '', '', '%s', '', '%s')", id, id, attempt, at, state, trigger)
}

func insertV7(ctx context.Context, t *testing.T, srv *chtest.Server, table string, rows ...string) {
	t.Helper()
	q := "INSERT INTO " + table + " (" + chdb.DeliveriesColumns + ", " + chdb.DeliveriesMatchKeysColumn + ", " +
		chdb.DeliveriesTriggerColumn + ") VALUES " + strings.Join(rows, ", ")
	if _, err := srv.Query(ctx, q); err != nil {
		t.Fatal(err)
	}
}

// A database at migration 7 whose deliveries hold rows in two partitions —
// among them a delivery's first attempt and its replay's attempt 1 in the
// same second, still in separate parts, and a row inserted twice — is
// rebuilt by migration 8 without losing a row: afterwards both attempts of
// the same second survive OPTIMIZE FINAL, the doubled row is one, and the
// copied rows carry their whole second in attempted_ns. Also when a crash
// stopped an earlier run right after the swap (the new table in place, the
// old one kept as deliveries_v7 with every row still to copy).
func TestMigrateRebuildsDeliveriesFromV7(t *testing.T) {
	for _, crashAfterSwap := range []bool{false, true} {
		t.Run(fmt.Sprintf("crashAfterSwap=%v", crashAfterSwap), func(t *testing.T) {
			db, srv := openFresh(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			all := chdb.Migrations
			if all[7].Name != "deliveries_attempt_key" {
				t.Fatalf("migration 8 is %s", all[7].Name)
			}
			chdb.Migrations = all[:7]
			err := db.Migrate(ctx)
			chdb.Migrations = all
			if err != nil {
				t.Fatal(err)
			}
			d := db.Database()
			query := func(q string) string {
				t.Helper()
				out, err := srv.Query(ctx, q)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				return out
			}
			query("SYSTEM STOP MERGES " + d + ".deliveries")
			const sec = "2026-11-04 05:06:07"
			insertV7(ctx, t, srv, d+".deliveries", v7Row("a", 1, sec, "first", "dead"), v7Row("b", 1, "2026-10-01 00:00:00", "first", "dead"))
			insertV7(ctx, t, srv, d+".deliveries", v7Row("a", 1, sec, "replay", "dead"))
			insertV7(ctx, t, srv, d+".deliveries", v7Row("b", 1, "2026-10-01 00:00:00", "first", "dead"))
			// Positive control: the old key collapses a's two attempts.
			if got := query("SELECT count() FROM " + d + ".deliveries FINAL"); got != "2" {
				t.Fatalf("control: old table FINAL shows %s rows, want 2 (a's attempts as one)", got)
			}
			if crashAfterSwap {
				query(strings.ReplaceAll(chdb.Migrations[7].Statements(db.Features())[0], "{db}", d))
				query("RENAME TABLE " + d + ".deliveries TO " + d + ".deliveries_v7, " + d + ".deliveries_v8 TO " + d + ".deliveries")
			}

			// Pending before the swap (still to come) and after it (rows to copy).
			if pending, err := db.RebuildPending(ctx, "deliveries"); err != nil || !pending {
				t.Fatalf("before migration 8 finished: RebuildPending = %v (%v), want true", pending, err)
			}
			for run := 1; run <= 2; run++ {
				if err := db.Migrate(ctx); err != nil {
					t.Fatalf("Migrate run %d: %v", run, err)
				}
			}
			if applied, err := db.AppliedMigrations(ctx); err != nil || !applied[8] {
				t.Fatalf("applied %v (%v), want 8", applied, err)
			}
			if pending, err := db.RebuildPending(ctx, "deliveries"); err != nil || pending {
				t.Errorf("after migration 8: RebuildPending = %v (%v), want false", pending, err)
			}
			if got := query("SELECT name FROM system.tables WHERE database = '" + d + "' AND name LIKE 'deliveries%'"); got != "deliveries" {
				t.Errorf("tables left: %q, want only deliveries", got)
			}
			for _, p := range []string{"202610", "202611"} {
				query("OPTIMIZE TABLE " + d + ".deliveries PARTITION " + p + " FINAL")
			}
			got := query("SELECT delivery_id, trigger, attempted_ns = toUInt64(attempted_at) * 1000000000 FROM " + d +
				".deliveries ORDER BY delivery_id, trigger FORMAT CSV")
			if want := "\"a\",\"first\",1\n\"a\",\"replay\",1\n\"b\",\"first\",1"; got != want {
				t.Errorf("after the rebuild and OPTIMIZE FINAL:\n%s\nwant:\n%s", got, want)
			}
			ddl := query("SHOW CREATE TABLE " + d + ".deliveries")
			if !strings.Contains(ddl, "ORDER BY (endpoint_id, attempted_at, delivery_id, attempt, trigger, attempted_ns)") {
				t.Errorf("new table's key:\n%s", ddl)
			}
			if hasWindow := strings.Contains(ddl, "non_replicated_deduplication_window"); hasWindow != db.Features().InsertDedup {
				t.Errorf("server %v: dedup window = %v, want %v", db.ServerVersion(), hasWindow, db.Features().InsertDedup)
			}
		})
	}
}
