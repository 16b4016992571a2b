package forwarder

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/testkit"
)

// An endpoint that does not validate is left out (named in the error and
// in bridge_forwarder_endpoints_invalid) while every other endpoint keeps
// delivering; once fixed, it delivers too.
func TestInvalidEndpointIsolated(t *testing.T) {
	secret := signing.NewSecret()
	good, bad := newReceiver(t, secret), newReceiver(t, secret)
	e := newEnv(t, testConfig())
	ctx := context.Background()
	broken := webhookEP("bad", bad.url(), secret)
	broken.Headers = map[string]string{"Host": "elsewhere.example.com"}
	err := e.f.SetEndpoints(ctx, []endpoint.Endpoint{webhookEP("good", good.url(), secret), broken})
	if err == nil || !strings.Contains(err.Error(), "endpoint bad") || !strings.Contains(err.Error(), "headers") {
		t.Fatalf("SetEndpoints = %v, want an error naming endpoint bad and headers", err)
	}
	if v := invalidGauge(t, e, "bad"); v != 1 {
		t.Fatalf("bridge_forwarder_endpoints_invalid{endpoint=bad} = %v, want 1", v)
	}
	e.log.Append(testEvent("popin_captured"))
	testkit.Eventually(t, 5*time.Second, func() error {
		if good.delivered() != 1 {
			return fmt.Errorf("good endpoint got %d", good.delivered())
		}
		return nil
	})
	// The segment is acked once every delivery it makes settled: nothing
	// was made for the left-out endpoint.
	testkit.Eventually(t, 5*time.Second, func() error {
		if e.log.r.Acked() != 1 {
			return fmt.Errorf("acked %d", e.log.r.Acked())
		}
		return nil
	})
	if bad.delivered() != 0 {
		t.Fatalf("left-out endpoint got %d deliveries", bad.delivered())
	}
	broken.Headers = map[string]string{"X-Tenant": "acme"}
	if err := e.f.SetEndpoints(ctx, []endpoint.Endpoint{webhookEP("good", good.url(), secret), broken}); err != nil {
		t.Fatal(err)
	}
	if v := invalidGauge(t, e, "bad"); v != -1 {
		t.Fatalf("fixed endpoint still reported invalid (%v)", v)
	}
	e.log.Append(testEvent("popin_captured"))
	testkit.Eventually(t, 5*time.Second, func() error {
		if bad.delivered() != 1 || good.delivered() != 2 {
			return fmt.Errorf("bad %d good %d", bad.delivered(), good.delivered())
		}
		return nil
	})
}

// invalidGauge is the endpoint's bridge_forwarder_endpoints_invalid, -1
// when the series does not exist.
func invalidGauge(t *testing.T, e *env, id string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "bridge_forwarder_endpoints_invalid" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if labelIs(m, "endpoint", id) {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

func labelIs(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// Events already in the log when the forwarder starts are fanned out only
// once the endpoints are known (the control plane applies them after the
// forwarder started): none is acked for want of an endpoint.
func TestBacklogWaitsForEndpoints(t *testing.T) {
	secret := signing.NewSecret()
	rcv := newReceiver(t, secret)
	_, js := startNATS(t, t.TempDir())
	e := &env{log: newMemLog(js), w: &memWriter{}, obs: &attemptLog{}, reg: prometheus.NewRegistry(), js: js}
	e.log.Append(testEvent("popin_captured"))                                                  // the backlog
	f, err := New(testConfig(), Settings{Registerer: e.reg, Log: e.log, NATS: e.log, DB: e.w}) // no endpoints yet
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer f.Shutdown(ctx)
	select {
	case <-f.endpointsSet:
		t.Fatal("the fan-out may read the log before any endpoint is known")
	default:
	}
	if err := f.SetEndpoints(ctx, []endpoint.Endpoint{webhookEP("ep", rcv.url(), secret)}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if rcv.delivered() != 1 {
			return fmt.Errorf("the event in the log before the endpoints were set: delivered %d", rcv.delivered())
		}
		return nil
	})
}
