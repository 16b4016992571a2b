package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/signing"
)

func opsFixture(t *testing.T) (*fixture, *receiver, string) {
	rcv := newReceiver(t, 204)
	secret := signing.NewSecret()
	f := newFixture(t, func(c *Config, s *Settings) {
		c.OpsWebhook.URL, c.OpsWebhook.Secret = rcv.URL+"/ops", secret
		c.DisableAfter, c.FailingAfter = 5*24*time.Hour, time.Hour
	})
	f.mustSite("acme")
	return f, rcv, secret
}

// opsEvents returns the types of the ops webhooks received, each verified
// with the Standard Webhooks reference library.
func opsEvents(t *testing.T, rcv *receiver, secret string) []OpsEvent {
	t.Helper()
	wh, _ := standardwebhooks.NewWebhook(secret)
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	var out []OpsEvent
	for i, b := range rcv.bodies {
		if err := wh.Verify(b, rcv.hdrs[i]); err != nil {
			t.Fatalf("ops webhook %d: signature: %v", i, err)
		}
		var ev OpsEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func TestAutoDisableAfterContinuousFailure(t *testing.T) {
	f, rcv, secret := opsFixture(t)
	f.mustEndpoint(map[string]any{"id": "crm", "site": "acme", "url": "https://crm.example.com/h"})
	ctx := context.Background()
	fail := func() {
		f.mgr.decide(ctx, Attempt{EndpointID: "crm", StatusCode: 500, AttemptedAt: *f.now})
	}
	fail()
	e, _ := f.mgr.store().endpoint("crm")
	if e.FailingSince == nil {
		t.Fatal("first failure not recorded")
	}
	// A success ends the run.
	f.advance(time.Minute)
	f.mgr.decide(ctx, Attempt{EndpointID: "crm", OK: true, StatusCode: 200, AttemptedAt: *f.now})
	if e, _ := f.mgr.store().endpoint("crm"); e.FailingSince != nil {
		t.Fatal("success did not clear failing_since")
	}
	fail()
	f.advance(2 * time.Hour)
	fail()
	fail() // endpoint.failing only once
	waitFor(t, "endpoint.failing", func() bool { return rcv.count() == 1 })
	f.advance(5 * 24 * time.Hour)
	f.mgr.decide(ctx, Attempt{EndpointID: "crm", StatusCode: 503, Test: true, AttemptedAt: *f.now}) // tests ignored
	if e, _ := f.mgr.store().endpoint("crm"); !e.Active() {
		t.Fatal("test attempt disabled the endpoint")
	}
	fail()
	waitFor(t, "engine sees disabled", func() bool { e, _ := f.eng.endpoint("crm"); return e.Status == endpoint.StatusDisabled })
	f.mgr.decide(ctx, Attempt{EndpointID: "crm", EventID: "ev1", DeliveryID: "d1", Attempt: 8, StatusCode: 503, State: StateDead})
	waitFor(t, "three ops webhooks", func() bool { return rcv.count() == 3 })
	evs := opsEvents(t, rcv, secret)
	want := []string{OpsEndpointFailing, OpsEndpointDisabled, OpsAttemptsExhausted}
	for i, w := range want {
		if evs[i].Type != w {
			t.Fatalf("ops event %d is %s, want %s", i, evs[i].Type, w)
		}
	}
	_, body := f.do("GET", "/api/v1/endpoints/crm", nil)
	if body["status"] != "disabled" || body["disabled_reason"] == nil {
		t.Fatalf("endpoint after auto-disable: %v", body)
	}
	// Re-enable through the API.
	if st, body := f.do("PATCH", "/api/v1/endpoints/crm", map[string]any{"status": "active"}); st != 200 || body["failing_since"] != nil {
		t.Fatalf("re-enable: %d %v", st, body)
	}
	waitFor(t, "engine sees active", func() bool { e, _ := f.eng.endpoint("crm"); return e.Active() })
}

// An attempt the forwarder refused before sending (Unsent: e.g. a HubSpot
// lead without an e-mail) is the input's failure: it starts no failing run,
// while the same attempt sent does (positive control).
func TestUnsentAttemptsDoNotCountAgainstTheEndpoint(t *testing.T) {
	f, _, _ := opsFixture(t)
	f.mustEndpoint(map[string]any{"id": "hs", "site": "acme", "url": "https://crm.example.com/h"})
	ctx := context.Background()
	for _, c := range []struct {
		unsent, failing bool
	}{{true, false}, {false, true}} {
		f.mgr.decide(ctx, Attempt{EndpointID: "hs", Error: "no identity", State: StateDead, Unsent: c.unsent, AttemptedAt: *f.now})
		if e, _ := f.mgr.store().endpoint("hs"); (e.FailingSince != nil) != c.failing {
			t.Fatalf("unsent=%v: failing_since %v, want set=%v", c.unsent, e.FailingSince, c.failing)
		}
	}
}

func TestGoneDisablesAtOnce(t *testing.T) {
	f, rcv, secret := opsFixture(t)
	f.mustEndpoint(map[string]any{"id": "crm", "site": "acme", "url": "https://crm.example.com/h"})
	f.mgr.AttemptDone(Attempt{EndpointID: "crm", StatusCode: 410, AttemptedAt: *f.now})
	waitFor(t, "endpoint.disabled", func() bool { return rcv.count() == 1 })
	if evs := opsEvents(t, rcv, secret); evs[0].Type != OpsEndpointDisabled {
		t.Fatalf("got %s", evs[0].Type)
	}
	if e, _ := f.mgr.store().endpoint("crm"); e.Status != endpoint.StatusDisabled {
		t.Fatal("410 did not disable")
	}
	// Attempts on a disabled endpoint change nothing and notify nobody. The
	// queue is worked in order: once a later failure of another endpoint is
	// recorded, the second 410 has been decided on.
	f.mustEndpoint(map[string]any{"id": "control", "site": "acme", "url": "https://crm.example.com/c"})
	f.mgr.AttemptDone(Attempt{EndpointID: "crm", StatusCode: 410, AttemptedAt: *f.now})
	f.mgr.AttemptDone(Attempt{EndpointID: "control", StatusCode: 500, AttemptedAt: *f.now})
	waitFor(t, "control failure recorded", func() bool { e, _ := f.mgr.store().endpoint("control"); return e.FailingSince != nil })
	if rcv.count() != 1 {
		t.Fatal("second disable notice")
	}
}

func TestAttemptDoneNeverBlocks(t *testing.T) {
	f := newFixture(t, func(c *Config, s *Settings) { c.LifecycleQueue = 1 })
	f.mustSite("acme")
	f.mustEndpoint(map[string]any{"id": "crm", "site": "acme", "url": "https://crm.example.com/h"})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 10000 {
			f.mgr.AttemptDone(Attempt{EndpointID: "crm", StatusCode: 500, AttemptedAt: *f.now})
		}
	}()
	<-done // a blocking AttemptDone would hang here (test timeout)
	waitFor(t, "drops counted", func() bool { return counterValue(f.mgr.metrics.lifecycleDropped) > 0 })
	waitFor(t, "failure recorded", func() bool { e, _ := f.mgr.store().endpoint("crm"); return e.FailingSince != nil })
}

func TestOpsQueueBoundedAndShutdownDrains(t *testing.T) {
	release := make(chan struct{})
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		got.Add(1)
	}))
	defer srv.Close()
	f := newFixture(t, func(c *Config, s *Settings) {
		c.OpsWebhook.URL, c.OpsWebhook.Secret, c.OpsWebhook.QueueSize = srv.URL, signing.NewSecret(), 2
	})
	for i := range 10 { // ten endpoints: ten events (one endpoint's would be aggregated)
		f.mgr.decide(context.Background(), Attempt{EndpointID: fmt.Sprint("x", i), State: StateDead})
	}
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.mgr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := got.Load(); n < 2 || n > 3 {
		t.Fatalf("delivered %d of 10 with a queue of 2 (+1 in flight)", n)
	}
}

func counterValue(c interface{ Write(*dto.Metric) error }) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}
