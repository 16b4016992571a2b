package forwarder

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/testkit"
)

// counterOf is the value of name's series carrying every label of want;
// ok is false when there is no such series.
func counterOf(t *testing.T, e *env, name string, want map[string]string) (v float64, ok bool) {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for k, val := range want {
				if !labelIs(m, k, val) {
					continue series
				}
			}
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

// TestEndpointSeriesExistAtZero: an applied endpoint's failure series read
// 0 before its first failure (alerts on their rate have data), count the
// failures once they happen, and disappear with the endpoint.
func TestEndpointSeriesExistAtZero(t *testing.T) {
	e := newEnv(t, testConfig())
	secret := signing.NewSecret()
	rcv := newReceiver(t, secret)
	rcv.setStatus(func(int) int { return 500 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.f.SetEndpoints(ctx, []endpoint.Endpoint{webhookEP("fresh", rcv.url(), secret)}); err != nil {
		t.Fatal(err)
	}
	type series struct {
		name   string
		labels map[string]string
	}
	all := []series{{"bridge_forwarder_dead_letters_total", map[string]string{"endpoint": "fresh"}}}
	for _, k := range failureKinds {
		all = append(all, series{"bridge_forwarder_failures_total", map[string]string{"endpoint": "fresh", "kind": k}})
	}
	for _, r := range dropReasons {
		all = append(all, series{"bridge_forwarder_enqueue_dropped_total", map[string]string{"endpoint": "fresh", "reason": r}})
	}
	for _, s := range all {
		if v, ok := counterOf(t, e, s.name, s.labels); !ok || v != 0 {
			t.Errorf("%s%v = %v (exists %v) before any delivery, want 0", s.name, s.labels, v, ok)
		}
	}

	// The zero series is the one a failure counts in.
	e.log.Append(testEvent("popin_captured"))
	retryable := map[string]string{"endpoint": "fresh", "kind": "retryable"}
	testkit.Eventually(t, 10*time.Second, func() error {
		if v, _ := counterOf(t, e, "bridge_forwarder_failures_total", retryable); v < 1 {
			return fmt.Errorf("failures %v", v)
		}
		return nil
	})

	// The delivery succeeds next so no attempt is in flight at removal.
	rcv.setStatus(func(int) int { return 200 })
	testkit.Eventually(t, 10*time.Second, func() error {
		if rcv.delivered() != 1 {
			return fmt.Errorf("delivered %d", rcv.delivered())
		}
		return nil
	})
	queueIdle(t, e, "fresh")
	if err := e.f.SetEndpoints(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if _, ok := counterOf(t, e, s.name, s.labels); ok {
			t.Errorf("%s%v still exported after the endpoint was removed", s.name, s.labels)
		}
	}
}
