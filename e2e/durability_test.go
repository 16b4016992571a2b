package e2e

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chtest"
)

// chConfig returns the clickhouse: and sites: sections for a test bridge
// using its own database on srv.
func chConfig(srv *chtest.Server, db string) string {
	return fmt.Sprintf(`ingest:
  rate_limit:
    per_ip_events_per_second: 0
    per_site_events_per_second: 0
clickhouse:
  addr: %q
  database: %q
sites:
  - id: "acme"
    write_key: "pk_acme"
    origins: ["http://127.0.0.1"]
    popin_api_key: "k3y"
`, srv.Addr(), db)
}

// waitCount polls ClickHouse until `SELECT count() FROM db.events FINAL`
// reaches want, and returns the final (count, uniqExact) pair.
func waitCount(t *testing.T, srv *chtest.Server, db string, want int, timeout time.Duration) (int, int) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(timeout)
	var n int
	for time.Now().Before(deadline) {
		out, err := srv.Query(ctx, fmt.Sprintf("SELECT count() FROM %s.events FINAL", db))
		if err == nil {
			n, _ = strconv.Atoi(out)
			if n >= want {
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	out, err := srv.Query(ctx, fmt.Sprintf("SELECT uniqExact(event_id) FROM %s.events", db))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := strconv.Atoi(out)
	return n, u
}

// TestKill9WhileStreaming: a client streams 20k events and resends what was
// not acked; the bridge is SIGKILLed mid-stream and restarted. Every event
// must be in ClickHouse exactly once.
func TestKill9WhileStreaming(t *testing.T) {
	srv := chtest.New(t)
	const db, total = "kill9", 20000
	b := startBridge(t, chConfig(srv, db))
	c := newStreamClient(b.addr, "pk_acme", "", total, "popin_screen_change")

	var killed atomic.Bool
	killedCh := make(chan struct{})
	go func() {
		<-killedCh
		b.restart()
	}()
	c.run(t, 200, time.Now().Add(4*time.Minute), func(acked int) {
		if acked >= total/3 && killed.CompareAndSwap(false, true) {
			b.kill()
			close(killedCh)
		}
	})
	if len(c.rejected) > 0 {
		for id, code := range c.rejected {
			t.Fatalf("%d events rejected, e.g. %s: %s", len(c.rejected), id, code)
		}
	}
	if !killed.Load() {
		t.Fatal("the bridge was never killed: test did not exercise the crash")
	}
	if len(c.rejected) > 0 {
		t.Fatalf("%d events rejected, e.g. %v", len(c.rejected), c.rejected)
	}
	n, u := waitCount(t, srv, db, total, 2*time.Minute)
	if n != total || u != total {
		t.Fatalf("ClickHouse has %d rows with FINAL and %d unique ids; want %d and %d\n%s", n, u, total, total, b.logs())
	}
}

// TestClickHouseOutage: ClickHouse stops during a stream and starts again;
// ingest keeps acking, and afterwards nothing is lost and nothing doubled.
func TestClickHouseOutage(t *testing.T) {
	srv := chtest.New(t)
	const db, total = "outage", 6000
	b := startBridge(t, chConfig(srv, db))
	c := newStreamClient(b.addr, "pk_acme", "", total, "nudge_show")

	var stopped atomic.Bool
	ackedWhileDown := 0
	c.run(t, 100, time.Now().Add(3*time.Minute), func(acked int) {
		if acked >= total/4 && stopped.CompareAndSwap(false, true) {
			srv.Stop()
		}
		if stopped.Load() {
			ackedWhileDown = acked
		}
	})
	if ackedWhileDown < total {
		t.Fatalf("ingest stopped acking while ClickHouse was down: %d of %d acked", ackedWhileDown, total)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	n, u := waitCount(t, srv, db, total, 2*time.Minute)
	if n != total || u != total {
		t.Fatalf("after the outage ClickHouse has %d rows (FINAL) and %d unique ids; want %d\n%s", n, u, total, b.logs())
	}
}
