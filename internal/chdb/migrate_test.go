package chdb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/testkit"
)

var dbSeq atomic.Int64

// openFresh opens the shared server with a database name no other test uses.
func openFresh(t *testing.T) (*chdb.DB, *chtest.Server) {
	t.Helper()
	srv := chtest.Shared(t)
	cfg := chdb.NewDefaultConfig()
	cfg.Addr = srv.Addr()
	cfg.Database = fmt.Sprintf("chdb_test_%d_%d", time.Now().UnixNano()%1e6, dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := chdb.Open(ctx, cfg, chdb.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, srv
}

func TestMigrateEmptyAndIdempotent(t *testing.T) {
	db, srv := openFresh(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	if v := db.ServerVersion(); v.Major == 0 {
		t.Fatalf("ServerVersion() = %v, want a real version", v)
	}
	// Before Migrate the database does not exist, so readiness fails.
	if err := db.Ping(ctx); err == nil {
		t.Fatal("Ping before Migrate succeeded on a database that does not exist")
	}
	for run := 1; run <= 3; run++ {
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("Migrate run %d: %v", run, err)
		}
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping after Migrate: %v", err)
	}
	applied, err := db.AppliedMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range chdb.Migrations {
		if !applied[m.Version] {
			t.Errorf("migration %d %s not recorded", m.Version, m.Name)
		}
	}
	// Recorded once per version although Migrate ran three times.
	out, err := srv.Query(ctx, fmt.Sprintf("SELECT count() FROM %s.schema_migrations", db.Database()))
	if err != nil {
		t.Fatal(err)
	}
	if out != fmt.Sprint(len(chdb.Migrations)) {
		t.Errorf("schema_migrations has %s rows, want %d", out, len(chdb.Migrations))
	}
	// The tables carry the columns the contract and other components rely on.
	for table, cols := range map[string]string{"events": chdb.EventsColumns + ", " + chdb.EventsConsentColumns, "deliveries": chdb.DeliveriesColumns + ", " + chdb.DeliveriesMatchKeysColumn + ", " + chdb.DeliveriesTriggerColumn + ", " + chdb.DeliveriesAttemptedNSColumn} {
		desc, err := srv.Query(ctx, fmt.Sprintf("DESCRIBE TABLE %s.%s", db.Database(), table))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, line := range strings.Split(desc, "\n") {
			names = append(names, strings.SplitN(line, "\t", 2)[0])
		}
		out := strings.Join(names, "\n")
		want := strings.ReplaceAll(cols, ", ", "\n")
		if out != want {
			t.Errorf("%s columns:\n%s\nwant:\n%s", table, out, want)
		}
	}
}

// A crash after a migration's DDL but before it was recorded: the next run
// re-applies the (IF NOT EXISTS) statements and records the version.
func TestMigrateRecoversUnrecordedStep(t *testing.T) {
	db, srv := openFresh(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Query(ctx, fmt.Sprintf("ALTER TABLE %s.schema_migrations DELETE WHERE version IN (2, 4)", db.Database())); err != nil {
		t.Fatal(err)
	}
	// ALTER DELETE is asynchronous (a mutation); wait until it is done.
	testkit.Eventually(t, 20*time.Second, func() error {
		applied, err := db.AppliedMigrations(ctx)
		if err == nil && (applied[2] || applied[4]) {
			err = errors.New("mutation did not remove versions 2 and 4")
		}
		return err
	})
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	applied, err := db.AppliedMigrations(ctx)
	if err != nil || !applied[2] || !applied[4] {
		t.Fatalf("after re-run applied = %v, %v; want versions 2 and 4 recorded", applied, err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	cfg := chdb.NewDefaultConfig()
	cfg.Addr = "127.0.0.1:1" // nothing listens on port 1
	cfg.DialTimeout = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := chdb.Open(ctx, cfg, chdb.Settings{})
	if err == nil {
		t.Fatal("Open succeeded with no server")
	}
	if !errors.Is(err, chdb.ErrUnavailable) || !chdb.Retryable(err) {
		t.Errorf("Open error %v: want ErrUnavailable and retryable", err)
	}
}

func TestRetryableClassifiesServerErrors(t *testing.T) {
	db, _ := openFresh(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	err := db.Conn().Exec(ctx, "SELECT * FROM no_such_table")
	if err == nil || chdb.Retryable(err) {
		t.Errorf("unknown table: err = %v, Retryable = true; want a permanent error", err)
	}
	err = db.Conn().Exec(ctx, "SELEC 1")
	if err == nil || chdb.Retryable(err) {
		t.Errorf("syntax error: err = %v; want a permanent error", err)
	}
}

// Migration 4 adds columns without IF NOT EXISTS (18.16 lacks it): run
// again after a crash before it was recorded, it finds them and succeeds.
func TestMigrateRecoversUnrecordedAddColumn(t *testing.T) {
	db, srv := openFresh(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Query(ctx, fmt.Sprintf("ALTER TABLE %s.schema_migrations DELETE WHERE version = 4", db.Database())); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		applied, err := db.AppliedMigrations(ctx)
		if err == nil && applied[4] {
			err = errors.New("mutation did not remove version 4")
		}
		return err
	})
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("re-running the consent columns step: %v", err)
	}
	if applied, err := db.AppliedMigrations(ctx); err != nil || !applied[4] {
		t.Fatalf("version 4 not recorded again (%v)", err)
	}
	got, err := srv.Query(ctx, fmt.Sprintf("SELECT type FROM system.columns WHERE database = '%s' AND table = 'events' AND name = 'consent_ads'", db.Database()))
	if err != nil || !strings.Contains(got, "Enum8") {
		t.Fatalf("consent_ads type %q (%v)", got, err)
	}
}
