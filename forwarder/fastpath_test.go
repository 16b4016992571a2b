package forwarder

import (
	"fmt"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/signing"
)

// TestSlowEndpointDoesNotHoldOthers: an endpoint slower than the fast-path
// budget neither delays a healthy endpoint fed by the same log segments nor
// gets a delivery twice: its first attempts are handed off to the queue
// while they run, and the copies are dropped once the attempts succeed.
func TestSlowEndpointDoesNotHoldOthers(t *testing.T) {
	secret := signing.NewSecret()
	slow, healthy := newReceiver(t, secret), newReceiver(t, secret)
	slow.setDelay(800 * time.Millisecond)
	cfg := testConfig(webhookEP("slow", slow.url(), secret), webhookEP("healthy", healthy.url(), secret))
	cfg.FastPathBudget = "300ms"
	e := newEnv(t, cfg)
	const n = 30
	var worst time.Duration
	for i := 0; i < n; i++ {
		start := time.Now()
		e.log.Append(testEvent("popin_captured"))
		checkFor(t, 5*time.Second, func() error {
			if healthy.delivered() != i+1 {
				return fmt.Errorf("healthy %d of %d", healthy.delivered(), i+1)
			}
			return nil
		})
		worst = max(worst, time.Since(start))
	}
	checkFor(t, 30*time.Second, func() error {
		if slow.delivered() != n {
			return fmt.Errorf("slow %d of %d", slow.delivered(), n)
		}
		return nil
	})
	// Copies of handed-off attempts come due after timeout + margin.
	time.Sleep(2*time.Second + handoffMargin + time.Second)
	slow.mu.Lock()
	sent, dups := slow.n, slow.dups
	slow.mu.Unlock()
	t.Logf("healthy: worst append-to-delivery %v; slow: %d requests for %d deliveries", worst.Round(time.Millisecond), sent, n)
	if worst > time.Second {
		t.Errorf("healthy endpoint delayed by the slow one: %v", worst)
	}
	if sent != n || dups != 0 {
		t.Errorf("slow endpoint got %d requests (%d duplicates) for %d deliveries", sent, dups, n)
	}
	if errs := append(slow.errors(), healthy.errors()...); len(errs) > 0 {
		t.Fatal(errs[0])
	}
}
