package forwarder

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/testkit"
)

// A 429 with Retry-After pauses the whole endpoint, not one delivery:
// after it, no request reaches the endpoint before the Retry-After has
// passed (a correctness bound: nothing early), and every delivery arrives
// after it.
func TestRetryAfterPausesEndpoint(t *testing.T) {
	secret := signing.NewSecret()
	rcv := newReceiver(t, secret)
	var mu sync.Mutex
	var times []time.Time
	handler := rcv.srv.Config.Handler
	rcv.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		first := len(times) == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		handler.ServeHTTP(w, r)
	})
	cfg := testConfig(webhookEP("ep", rcv.url(), secret))
	cfg.RetrySchedule = []string{"50ms", "50ms", "50ms"}
	e := newEnv(t, cfg)
	e.log.Append(testEvent("popin_captured"))
	// The forwarder has taken the 429 in (an attempt started before that
	// may still go out: the pause covers what starts after it).
	testkit.Eventually(t, 5*time.Second, func() error {
		for _, a := range e.obs.all() {
			if a.StatusCode == http.StatusTooManyRequests {
				return nil
			}
		}
		return fmt.Errorf("429 not observed yet")
	})
	for range 4 {
		e.log.Append(testEvent("popin_captured"))
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if rcv.delivered() != 5 {
			return fmt.Errorf("delivered %d of 5", rcv.delivered())
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	for i, at := range times[1:] {
		if gap := at.Sub(times[0]); gap < 2*time.Second-50*time.Millisecond {
			t.Errorf("request %d came %v after the 429 with Retry-After: 2", i+2, gap)
		}
	}
}
