package forwarder

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/signing"
)

// TestClickHouseDeliveryLog: attempts land in the real deliveries table.
func TestClickHouseDeliveryLog(t *testing.T) {
	srv := chtest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := chdb.NewDefaultConfig()
	c.Addr, c.Database = srv.Addr(), fmt.Sprintf("fwd_%d", time.Now().UnixNano())
	db, err := chdb.Open(ctx, c, chdb.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	w := NewClickHouseWriter(db.Conn(), db.Table("deliveries"))
	secret := signing.NewSecret()
	rcv := newReceiver(t, secret)
	rcv.setStatus(func(n int) int {
		if n == 1 {
			return 500
		}
		return 200
	})
	_, js := startNATS(t, t.TempDir())
	lg := newMemLog(js)
	f, err := New(testConfig(webhookEP("ch", rcv.url(), secret)), Settings{Log: lg, NATS: lg, DB: w})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer f.Shutdown(ctx)
	ev := testEvent("popin_captured")
	lg.Append(ev)
	checkFor(t, 20*time.Second, func() error {
		var n uint64
		if err := db.Conn().QueryRow(ctx, "SELECT count() FROM "+db.Table("deliveries")+" WHERE event_id = ?", ev.ID).Scan(&n); err != nil {
			return err
		}
		if n != 2 {
			return fmt.Errorf("%d rows", n)
		}
		return nil
	})
	var okRows, attempts uint64
	if err := db.Conn().QueryRow(ctx, "SELECT toUInt64(sum(ok)), toUInt64(max(attempt)) FROM "+db.Table("deliveries")+" WHERE event_id = ?", ev.ID).Scan(&okRows, &attempts); err != nil {
		t.Fatal(err)
	}
	if okRows != 1 || attempts != 2 {
		t.Errorf("ok %d max attempt %d", okRows, attempts)
	}
}
