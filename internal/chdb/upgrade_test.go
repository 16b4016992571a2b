package chdb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
)

// A database migrated by an older release (up to version 2, deliveries
// holding rows) is brought up to date without losing rows, and a batch
// inserted twice afterwards reads once through FINAL.
func TestMigrateFromDeliveriesV2(t *testing.T) {
	db, srv := openFresh(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	all := chdb.Migrations
	chdb.Migrations = all[:2]
	err := db.Migrate(ctx)
	chdb.Migrations = all
	if err != nil {
		t.Fatal(err)
	}
	if applied, _ := db.AppliedMigrations(ctx); len(applied) != 2 {
		t.Fatalf("old schema: applied %v, want versions 1 and 2", applied)
	}
	insert := func(ids ...string) {
		t.Helper()
		var vals []string
		for _, id := range ids {
			vals = append(vals, fmt.Sprintf("('%s', 'ev-%s', 'crm', 'acme', 'popin_captured', 'wh', 1, 200, 1, 5, '', "+
				"toDateTime('2025-03-04 05:06:07', 'UTC'), toDateTime(0), 0, 'https://crm.example/h', '{}', '', '', 'succeeded')", id, id))
		}
		q := "INSERT INTO " + db.Database() + ".deliveries (" + chdb.DeliveriesColumns + ") VALUES " + strings.Join(vals, ", ")
		if _, err := srv.Query(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	count := func(final string) string {
		t.Helper()
		out, err := srv.Query(ctx, "SELECT count() FROM "+db.Database()+".deliveries "+final)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	insert("old-1", "old-2")

	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	applied, err := db.AppliedMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range chdb.Migrations {
		if !applied[m.Version] {
			t.Errorf("migration %d %s not recorded after the upgrade", m.Version, m.Name)
		}
	}
	if n := count(""); n != "2" {
		t.Fatalf("after the upgrade %s rows, want the 2 old ones", n)
	}
	// Columns added since read their defaults in the old rows.
	if got, err := srv.Query(ctx, "SELECT countIf(match_keys = '' AND trigger = '') FROM "+db.Database()+".deliveries"); err != nil || got != "2" {
		t.Errorf("old rows with empty match_keys and trigger: %q (%v), want 2", got, err)
	}
	ddl, err := srv.Query(ctx, "SHOW CREATE TABLE "+db.Database()+".deliveries")
	if err != nil {
		t.Fatal(err)
	}
	if hasWindow := strings.Contains(ddl, "non_replicated_deduplication_window"); hasWindow != db.Features().InsertDedup {
		t.Errorf("server %v: dedup window in the table = %v, want %v:\n%s", db.ServerVersion(), hasWindow, db.Features().InsertDedup, ddl)
	}

	// The same batch again (a retry): one copy per attempt under FINAL.
	insert("new-1", "new-2")
	insert("new-1", "new-2")
	if n := count("FINAL"); n != "4" {
		t.Errorf("FINAL after a repeated batch: %s rows, want 4", n)
	}
	if db.Features().InsertDedup {
		if n := count(""); n != "4" {
			t.Errorf("server %v drops repeated blocks, yet %s rows stored, want 4", db.ServerVersion(), n)
		}
	}
}
