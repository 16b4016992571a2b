package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestReadyzClickHouseKilled: a node that was ready with ClickHouse up stays
// ready when ClickHouse goes away — /readyz answers 200 naming clickhouse
// degraded, bridge_ready stays 1 — and is no longer degraded once
// ClickHouse is back. Events wait in the log meanwhile.
func TestReadyzClickHouseKilled(t *testing.T) {
	ch := chtest.New(t)
	cfg := testConfig(t)
	cfg.ClickHouse.Addr = ch.Addr()
	a, err := New(cfg, quietLogger(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	startApp(t, a)
	base := "http://" + a.Addr()
	degraded := func(want bool) func() error {
		return func() error {
			code, body, err := get(t, base+"/readyz")
			if err != nil {
				return err
			}
			if code != 200 {
				t.Fatalf("/readyz = %d %q, want 200 whatever ClickHouse does", code, body)
			}
			if got := strings.Contains(body, "degraded: clickhouse"); got != want {
				return fmt.Errorf("/readyz %q: clickhouse degraded %v, want %v", body, got, want)
			}
			_, metrics := mustGet(t, base+"/metrics")
			gauge := fmt.Sprintf("\nbridge_ready_degraded{component=\"clickhouse\"} %d\n", map[bool]int{false: 0, true: 1}[want])
			if !strings.Contains(metrics, "\nbridge_ready 1\n") || !strings.Contains(metrics, gauge) {
				return fmt.Errorf("metrics lack bridge_ready 1 or %q", strings.TrimSpace(gauge))
			}
			return nil
		}
	}
	// ClickHouse connects in the background: first the node is ready and
	// not degraded (the positive control: ClickHouse is seen up).
	testkit.Eventually(t, 60*time.Second, degraded(false))

	ch.Stop()
	testkit.Eventually(t, 30*time.Second, degraded(true))
	if code, body := mustGet(t, base+"/readyz"); code != 200 || !strings.HasPrefix(body, "ready, degraded\n") {
		t.Fatalf("ClickHouse down: %d %q, want 200 ready, degraded", code, body)
	}

	if err := ch.Restart(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 60*time.Second, degraded(false))
}
