package deliverylog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
)

// TestClickHouseWriterAfterServerRestart: the pool's connections die with
// the server; the next write after the restart succeeds at once.
func TestClickHouseWriterAfterServerRestart(t *testing.T) {
	srv := chtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := chdb.NewDefaultConfig()
	c.Addr, c.Database = srv.Addr(), "dlog_restart"
	db, err := chdb.Open(ctx, c, chdb.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	w := NewClickHouseWriter(db.Conn(), db.Table("deliveries"))
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	row := func(id string) Record {
		return Record{DeliveryID: id, EventID: id, EndpointID: "crm", Attempt: 1, AttemptedAt: at, State: "succeeded"}
	}
	// Several connections in the pool, all idle when the server goes.
	for i := range 4 {
		if err := w.WriteDeliveries(ctx, []Record{row(fmt.Sprintf("before-%d", i))}); err != nil {
			t.Fatalf("write %d before the restart: %v", i, err)
		}
	}
	srv.Stop()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := w.WriteDeliveries(ctx, []Record{row(fmt.Sprintf("after-%d", i))}); err != nil {
			t.Fatalf("write %d after the restart: %v", i, err)
		}
	}
	var n uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM "+db.Table("deliveries")+" FINAL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 8 {
		t.Fatalf("%d rows, want 8", n)
	}
}

// TestClickHouseWriterConnectionClosedAfterCheck: the pooled connection
// dies after the driver's pre-use check; the write still succeeds, on a
// new connection, and every row is stored once.
func TestClickHouseWriterConnectionClosedAfterCheck(t *testing.T) {
	srv := chtest.Shared(t)
	proxy := startProxy(t, srv.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := chdb.NewDefaultConfig()
	c.Addr, c.Database = proxy.addr(), fmt.Sprintf("dlog_sever_%d", time.Now().UnixNano())
	db, err := chdb.Open(ctx, c, chdb.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	table := db.Table("deliveries")
	w := NewClickHouseWriter(db.Conn(), table)
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	write := func(id string) error {
		return w.WriteDeliveries(ctx, []Record{{DeliveryID: id, EventID: id, EndpointID: "crm", Attempt: 1, AttemptedAt: at, State: "succeeded"}})
	}
	if err := write("a"); err != nil {
		t.Fatal(err)
	}
	// Positive control: the driver alone hands out the dead connection.
	proxy.sever()
	if _, err := db.Conn().PrepareBatch(ctx, "INSERT INTO "+table+" ("+chdb.DeliveriesColumns+")"); err == nil {
		t.Fatal("control: an insert on a severed connection started")
	}
	if err := write("b"); err != nil {
		t.Fatal(err)
	}
	proxy.sever()
	if err := write("c"); err != nil {
		t.Fatalf("write after the connection died: %v", err)
	}
	var n uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM "+table+" FINAL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("%d rows, want 3", n)
	}
}
