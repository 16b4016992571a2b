package forwarder

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestSlowEndpointDoesNotHoldOthers: an endpoint that does not answer
// within the fast-path budget neither holds a healthy endpoint fed by the
// same log segments nor gets a delivery twice. The slow receiver answers
// nothing until the healthy one has every delivery, so a forwarder that
// made the healthy endpoint wait for it would never get there. Its first
// attempts are handed off to the queue while they run, and the copies are
// dropped once the attempts succeed.
func TestSlowEndpointDoesNotHoldOthers(t *testing.T) {
	secret := signing.NewSecret()
	slow, healthy := newReceiver(t, secret), newReceiver(t, secret)
	release := make(chan struct{})
	handler := slow.srv.Config.Handler
	slow.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		handler.ServeHTTP(w, r)
	})
	cfg := testConfig(webhookEP("slow", slow.url(), secret), webhookEP("healthy", healthy.url(), secret))
	cfg.FastPathBudget = "300ms"
	cfg.Timeout = "5s" // longer than the attempts are held
	e := newEnv(t, cfg)
	const n = 30
	for range n {
		e.log.Append(testEvent("popin_captured"))
	}
	testkit.Eventually(t, 15*time.Second, func() error {
		if healthy.delivered() != n {
			return fmt.Errorf("healthy %d of %d while the slow endpoint holds its requests", healthy.delivered(), n)
		}
		return nil
	})
	// Past the budget, the held first attempts are handed off and the rest
	// are queued: the queue holds something before the slow one answers.
	testkit.Eventually(t, 15*time.Second, func() error {
		if n := queued(t, e, "slow"); n == 0 {
			return fmt.Errorf("nothing handed off or queued yet")
		}
		return nil
	})
	close(release)
	testkit.Eventually(t, 30*time.Second, func() error {
		if slow.delivered() != n {
			return fmt.Errorf("slow %d of %d", slow.delivered(), n)
		}
		return nil
	})
	// The hand-off copies come due after the attempt's timeout; once the
	// queue is idle they were all seen (and dropped, or sent).
	queueIdle(t, e, "slow")
	slow.mu.Lock()
	sent, dups := slow.n, slow.dups
	slow.mu.Unlock()
	if sent != n || dups != 0 {
		t.Errorf("slow endpoint got %d requests (%d duplicates) for %d deliveries", sent, dups, n)
	}
	if errs := append(slow.errors(), healthy.errors()...); len(errs) > 0 {
		t.Fatal(errs[0])
	}
}
