package chsink_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chquery"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestClusterSink runs the sink against a ClickHouse cluster (clickhouse.cluster):
// one shard of two 18.16 replicas and ZooKeeper. Two clients migrate at once,
// one through each replica; the sink inserts through the Distributed events
// table; the row reaches both replicas; a second copy of the event shows once
// under FINAL; a documented query runs unchanged.
func TestClusterSink(t *testing.T) {
	const cluster = "bridge_test"
	_, srvs := chtest.Cluster(t, cluster, 2)
	dbName := fmt.Sprintf("chsink_cluster_%d", os.Getpid())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	open := func(srv *chtest.Server) *chdb.DB {
		cfg := chdb.NewDefaultConfig()
		cfg.Addr, cfg.Database, cfg.Cluster = srv.Addr(), dbName, cluster
		db, err := chdb.Open(ctx, cfg, chdb.Settings{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	dbs := []*chdb.DB{open(srvs[0]), open(srvs[1])}

	// Two nodes migrate at once, each through its own replica.
	var wg sync.WaitGroup
	errs := make([]error, len(dbs))
	for i, db := range dbs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = db.Migrate(ctx) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for i, srv := range srvs {
		got, err := srv.Query(ctx, "SELECT name, engine FROM system.tables WHERE database = '"+dbName+"' ORDER BY name FORMAT TSV")
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Join([]string{
			"deliveries\tDistributed", "deliveries_local\tReplicatedReplacingMergeTree",
			"events\tDistributed", "events_local\tReplicatedReplacingMergeTree",
			"schema_migrations\tReplicatedReplacingMergeTree",
		}, "\n")
		if got != want {
			t.Errorf("replica %d tables:\n%s\nwant:\n%s", i+1, got, want)
		}
	}
	// Every version is recorded once for the whole cluster, seen from both.
	for i, db := range dbs {
		testkit.Eventually(t, 20*time.Second, func() error {
			applied, err := db.AppliedMigrations(ctx)
			if err == nil && len(applied) != len(chdb.Migrations) {
				err = fmt.Errorf("replica %d sees versions %v, want all %d", i+1, applied, len(chdb.Migrations))
			}
			return err
		})
	}
	// Migrating again queues nothing in the cluster's DDL queue (a node
	// starting does not wait for every ClickHouse host).
	queued := func() string {
		t.Helper()
		out, err := srvs[0].Query(ctx, "SELECT count() FROM system.zookeeper WHERE path = '/clickhouse/task_queue/ddl'")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := queued()
	if before == "0" {
		t.Fatal("the DDL queue is empty after migrating ON CLUSTER")
	}
	if err := dbs[1].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if after := queued(); after != before {
		t.Errorf("migrating an up-to-date cluster queued DDL: %s tasks before, %s after", before, after)
	}

	// The sink writes through replica 1's Distributed table.
	log := newMemLog()
	now := time.Now().UTC().Truncate(time.Second)
	e := ev(1, "acme", "nudge_show", map[string]any{"uid": "u-1"})
	e.ClientTime, e.ReceivedAt = now, now
	log.Append(e)
	startSink(t, dbs[0], log, nil)
	testkit.Eventually(t, 30*time.Second, log.ackedAll(1))

	// query answers "count() latest-received_at" of the event on srv.
	query := func(srv *chtest.Server, table string) string {
		t.Helper()
		out, err := srv.Query(ctx, fmt.Sprintf("SELECT count(), toUnixTimestamp(max(received_at)) FROM %s.%s WHERE event_id = '%s' FORMAT TSV", dbName, table, e.ID))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := fmt.Sprintf("1\t%d", now.Unix())
	// Inserts through the Distributed table are synchronous: the sink acks
	// once a replica stored the rows, not when this server queued them.
	var syncInsert string
	if err := dbs[0].Conn().QueryRow(ctx, "SELECT value FROM system.settings WHERE name = 'insert_distributed_sync'").Scan(&syncInsert); err != nil || syncInsert != "1" {
		t.Errorf("insert_distributed_sync = %q, %v; want 1", syncInsert, err)
	}
	for i, srv := range srvs {
		testkit.Eventually(t, 30*time.Second, func() error {
			if got := query(srv, "events_local"); got != first {
				return fmt.Errorf("replica %d holds %q of the event, want %q", i+1, got, first)
			}
			return nil
		})
	}

	// A second copy of the event (a resend, received later: a different
	// block, so not dropped as a repeated insert). ReplacingMergeTree keeps
	// the last inserted copy, so FINAL through the Distributed table shows
	// one row, the second copy's: proof that it arrived and collapsed.
	again := e
	again.ReceivedAt = now.Add(2 * time.Second)
	log.Append(again)
	testkit.Eventually(t, 30*time.Second, log.ackedAll(2))
	second := fmt.Sprintf("1\t%d", again.ReceivedAt.Unix())
	for i, srv := range srvs {
		testkit.Eventually(t, 30*time.Second, func() error {
			if got := query(srv, "events FINAL"); got != second {
				return fmt.Errorf("replica %d: FINAL shows %q, want %q", i+1, got, second)
			}
			return nil
		})
	}

	// Documented queries, unchanged, through the other replica: events, and
	// deliveries after a row inserted through its Distributed table.
	day := now.Format(time.DateOnly)
	if got, want := docQuery(t, ctx, dbs[1], "Events per day by name"), day+" acme nudge_show 1"; got != want {
		t.Errorf("Events per day by name:\n%s\nwant:\n%s", got, want)
	}
	b, err := chdb.PrepareBatch(ctx, dbs[0].Conn(), "INSERT INTO "+dbs[0].Table("deliveries")+" ("+chdb.DeliveriesColumns+")")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append("d-1", e.ID, "crm", "acme", "nudge_show", "wh-1", uint32(1), uint16(200), uint8(1), uint32(5), "",
		now, time.Unix(0, 0), uint8(0), "https://crm.example/h", "{}", "", "", "succeeded"); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 30*time.Second, func() error {
		if got, want := docQuery(t, ctx, dbs[1], "Delivery outcomes per endpoint per day"), day+" crm 1 1 1 0"; got != want {
			return fmt.Errorf("Delivery outcomes per endpoint per day:\n%s\nwant:\n%s", got, want)
		}
		return nil
	})
}

// docQuery runs the docs/queries.md query titled title on db and returns its
// rows, one line each, values separated by spaces.
func docQuery(t *testing.T, ctx context.Context, db *chdb.DB, title string) string {
	t.Helper()
	md, err := os.ReadFile("../../docs/queries.md")
	if err != nil {
		t.Fatal(err)
	}
	var sql string
	for _, q := range chquery.Parse(md) {
		if q.Title == title {
			sql = q.SQL
		}
	}
	if sql == "" {
		t.Fatalf("docs/queries.md has no query %q", title)
	}
	rows, err := db.Conn().Query(ctx, sql)
	if err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		cols := rows.ColumnTypes()
		vals := make([]any, len(cols))
		for i, c := range cols {
			vals[i] = reflect.New(c.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		var f []string
		for _, v := range vals {
			x := reflect.ValueOf(v).Elem().Interface()
			if tm, ok := x.(time.Time); ok {
				x = tm.Format(time.DateOnly)
			}
			f = append(f, fmt.Sprint(x))
		}
		lines = append(lines, strings.Join(f, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
