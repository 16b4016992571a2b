package forwarder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	dlv "github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/testkit"
)

func TestConfigValidateJoinsAll(t *testing.T) {
	c := NewDefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	c.RetrySchedule = []string{"5s", "soon"}
	c.Timeout = "x"
	c.AllowedPrivateTargets = []string{"nope"}
	c.Concurrency = 0
	c.CAPIBatchSize = 5000
	err := c.Validate()
	for _, key := range []string{"retry_schedule[1]", "timeout", "allowed_private_targets", "concurrency", "capi_batch_size"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s: %v", key, err)
		}
	}
}

func TestWebhookDeliveryAuthModes(t *testing.T) {
	secret := signing.NewSecret()
	sig := newReceiver(t, secret)
	plain := newReceiver(t)
	eps := []endpoint.Endpoint{
		webhookEP("sig", sig.url(), secret),
		{ID: "bearer", Site: "acme", Type: endpoint.TypeWebhook, URL: plain.url() + "?k=bearer", Events: []string{"popin_*"}, Auth: endpoint.AuthBearer, Token: "tok1"},
		{ID: "apikey", Site: "acme", Type: endpoint.TypeWebhook, URL: plain.url() + "?k=apikey", Events: []string{"popin_captured"}, Auth: endpoint.AuthAPIKey, Token: "tok2", APIKeyHeader: "x-make-apikey"},
		{ID: "none", Site: "acme", Type: endpoint.TypeWebhook, URL: plain.url() + "?k=none", Events: []string{"nudge_show"}, Auth: endpoint.AuthNone,
			Template: `{"email":"{{.data.email}}","fields":[{"name":"firstname","value":"{{.data.name}}"}],"n":"{{.type}}"}`},
	}
	e := newEnv(t, testConfig(eps...))
	ev1, ev2 := testEvent("popin_captured"), testEvent("nudge_show")
	e.log.Append(ev1, ev2)
	testkit.Eventually(t, 10*time.Second, func() error {
		plain.mu.Lock()
		pn := plain.n
		plain.mu.Unlock()
		if sig.delivered() != 2 || pn != 3 {
			return fmt.Errorf("sig %d plain %d", sig.delivered(), pn)
		}
		return nil
	})
	if errs := sig.errors(); len(errs) > 0 {
		t.Fatalf("verification: %v", errs)
	}
	var body map[string]any
	if err := json.Unmarshal(sig.bodies[ev1.ID], &body); err != nil {
		t.Fatal(err)
	}
	if body["id"] != ev1.ID || body["type"] != "popin_captured" || body["site"] != "acme" || body["source"] != "browser" || body["data"] == nil || body["context"] == nil {
		t.Errorf("default body: %v", body)
	}
	if _, err := time.Parse(time.RFC3339, body["timestamp"].(string)); err != nil {
		t.Errorf("timestamp: %v", err)
	}
	plain.mu.Lock()
	seen := map[string]bool{}
	for _, h := range plain.headers {
		switch {
		case h.Get("Authorization") == "Bearer tok1":
			seen["bearer"] = true
		case h.Get("X-Make-Apikey") == "tok2":
			seen["apikey"] = true
		case h.Get("Authorization") == "" && h.Get("Webhook-Signature") == "":
			seen["none"] = true
		}
	}
	tb := plain.bodies[ev2.ID]
	plain.mu.Unlock()
	if len(seen) != 3 {
		t.Errorf("auth modes seen: %v", seen)
	}
	if string(tb) != `{"email":"Asha.Rao@Example.com","fields":[{"name":"firstname","value":"Asha Rao"}],"n":"nudge_show"}` {
		t.Errorf("template body %s", tb)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := len(e.w.all()); n != 5 {
			return fmt.Errorf("%d log rows", n)
		}
		return nil
	})
	for _, r := range e.w.all() {
		if !r.OK || r.State != dlv.StateDelivered || r.Attempt != 1 || r.StatusCode != 200 || r.WebhookID != r.EventID {
			t.Errorf("row %+v", r)
		}
		for k, v := range r.RequestHeaders {
			if strings.Contains(v, "tok1") || strings.Contains(v, "tok2") {
				t.Errorf("credential logged in %s", k)
			}
		}
		if strings.Contains(r.RequestBody, "Asha") {
			t.Errorf("raw PII logged for a site with pii=hash: %s", r.RequestBody)
		}
	}
	// The same event again (log redelivery) is not enqueued twice.
	e.log.Append(ev1)
	testkit.Eventually(t, 5*time.Second, func() error {
		if e.log.r.Acked() != 2 {
			return fmt.Errorf("acked %d", e.log.r.Acked())
		}
		return nil
	})
	// Acked: every delivery of the segment settled (sent, or queued); an
	// idle queue: nothing queued is still to be sent.
	queueIdle(t, e, "sig")
	sig.mu.Lock()
	defer sig.mu.Unlock()
	if sig.n != 2 {
		t.Errorf("duplicate event delivered again: %d requests", sig.n)
	}
}

// TestRetryThenRecover: a receiver failing with 500 for a while gets every
// delivery in the end, with the same webhook-id and attempts spaced per the
// schedule; a healthy endpoint meanwhile is not slowed down.
func TestRetryThenRecover(t *testing.T) {
	secret := signing.NewSecret()
	flaky := newReceiver(t, secret)
	healthy := newReceiver(t, secret)
	recoverAt := time.Now().Add(2 * time.Second)
	flaky.setStatus(func(int) int {
		if time.Now().Before(recoverAt) {
			return 500
		}
		return 200
	})
	cfg := testConfig(webhookEP("flaky", flaky.url(), secret), webhookEP("healthy", healthy.url(), secret))
	cfg.RetrySchedule = []string{"50ms", "100ms", "200ms", "400ms", "800ms", "1600ms", "3s"}
	e := newEnv(t, cfg)
	const n = 20
	var sent []string
	start := time.Now()
	for i := 0; i < n; i++ {
		ev := testEvent("popin_captured")
		sent = append(sent, ev.ID)
		e.log.Append(ev)
		time.Sleep(20 * time.Millisecond)
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if healthy.delivered() != n {
			return fmt.Errorf("healthy %d", healthy.delivered())
		}
		return nil
	})
	healthyDone := time.Since(start)
	var lat []int64
	for _, r := range e.w.forEndpoint("healthy") {
		lat = append(lat, r.LatencyMS)
	}
	testkit.Eventually(t, 30*time.Second, func() error {
		if flaky.delivered() != n {
			return fmt.Errorf("flaky %d of %d", flaky.delivered(), n)
		}
		return nil
	})
	if errs := append(flaky.errors(), healthy.errors()...); len(errs) > 0 {
		t.Fatalf("verification: %v", errs[0])
	}
	flaky.mu.Lock()
	defer flaky.mu.Unlock()
	sched := []time.Duration{50, 100, 200, 400, 800, 1600, 3000}
	maxAttempts := 0
	for _, id := range sent {
		ts := flaky.times[id]
		if len(ts) < 2 {
			t.Errorf("%s: %d attempts, want retries", id, len(ts))
		}
		maxAttempts = max(maxAttempts, len(ts))
		for i := 1; i < len(ts); i++ {
			gap := ts[i].Sub(ts[i-1])
			want := sched[i-1] * time.Millisecond
			if gap < want*85/100 {
				t.Errorf("%s: attempt %d came %v after the previous, schedule says %v", id, i+1, gap, want)
			}
		}
	}
	t.Logf("healthy endpoint: all %d delivered %v after the first event; per-attempt latency ms %v", n, healthyDone.Round(time.Millisecond), lat)
	t.Logf("flaky endpoint: up to %d attempts per delivery, all %d delivered once recovered", maxAttempts, n)
	for _, r := range e.w.forEndpoint("healthy") {
		if r.Attempt != 1 || !r.OK {
			t.Errorf("healthy endpoint needed a retry: %+v", r)
		}
	}
	rows := e.w.forEndpoint("flaky")
	var retrying int
	for _, r := range rows {
		if r.State == dlv.StateRetrying {
			retrying++
			if r.NextAttemptAt.IsZero() || r.OK || r.StatusCode != 500 {
				t.Errorf("retry row %+v", r)
			}
		}
	}
	if retrying == 0 {
		t.Error("no retrying rows logged")
	}
}

func TestPermanentFailuresAndDeadLetters(t *testing.T) {
	secret := signing.NewSecret()
	rcv := newReceiver(t, secret)
	var mode = map[string]int{}
	rcv.setStatus(func(int) int { return 0 })
	codes := make(chan int, 100)
	rcv.setStatus(func(int) int { return <-codes })
	_ = mode
	cfg := testConfig(webhookEP("ep", rcv.url(), secret))
	e := newEnv(t, cfg)

	// 400: permanent, one attempt, dead.
	codes <- 400
	ev := testEvent("popin_captured")
	e.log.Append(ev)
	testkit.Eventually(t, 5*time.Second, func() error {
		dl, err := e.f.DeadLetters(context.Background(), "ep", 0)
		if err != nil || len(dl) != 1 {
			return fmt.Errorf("dead %v %v", dl, err)
		}
		return nil
	})
	// 302 is a failure, not followed.
	// Exhausted retries: 503 four times (1 + 3 retries).
	for i := 0; i < 4; i++ {
		codes <- 503
	}
	ev2 := testEvent("popin_captured")
	e.log.Append(ev2)
	testkit.Eventually(t, 5*time.Second, func() error {
		dl, _ := e.f.DeadLetters(context.Background(), "ep", 0)
		if len(dl) != 2 {
			return fmt.Errorf("dead %d", len(dl))
		}
		return nil
	})
	dls, _ := e.f.DeadLetters(context.Background(), "ep", 0)
	sort.Slice(dls, func(i, j int) bool { return dls[i].Attempts < dls[j].Attempts })
	if dls[0].Attempts != 1 || dls[0].LastStatus != 400 || dls[1].Attempts != 4 || !strings.Contains(dls[1].Reason, "exhausted") {
		t.Errorf("dead letters %+v", dls)
	}
	// Manual retry: one more attempt with the same webhook-id.
	codes <- 200
	if err := e.f.RetryDead(context.Background(), dls[1].DeliveryID); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if rcv.delivered() != 1 {
			return fmt.Errorf("delivered %d", rcv.delivered())
		}
		return nil
	})
	rcv.mu.Lock()
	if len(rcv.times[ev2.ID]) != 5 {
		t.Errorf("webhook-id %s seen %d times, want 5", ev2.ID, len(rcv.times[ev2.ID]))
	}
	rcv.mu.Unlock()
	testkit.Eventually(t, 5*time.Second, func() error {
		for _, r := range e.w.forEndpoint("ep") {
			if r.EventID == ev2.ID && r.Attempt == 5 && r.OK {
				return nil
			}
		}
		return errors.New("attempt 5 not logged")
	})
	if err := e.f.RetryDead(context.Background(), "dlv_nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown dead letter: %v", err)
	}
}

// TestRedirectNotFollowedAnd410: a redirect is a permanent failure (not
// followed). A 410 is recorded (state disabled) and reported to the
// observer, whose lifecycle disables the endpoint; the forwarder does not
// decide that itself. While the endpoint is disabled the delivery waits,
// without using up retries, and it follows when the endpoint is active again.
func TestRedirectNotFollowedAnd410(t *testing.T) {
	secret := signing.NewSecret()
	target := newReceiver(t, secret)
	codes := make(chan int, 10)
	rcv := newReceiver(t, secret)
	rcv.setStatus(func(int) int { return <-codes })
	redirect := newRedirector(t, target.url())
	redir, gone := webhookEP("redir", redirect, secret), webhookEP("gone", rcv.url(), secret)
	e := newEnv(t, testConfig(redir, gone))
	codes <- 410
	e.log.Append(testEvent("popin_captured"))
	testkit.Eventually(t, 5*time.Second, func() error {
		for _, a := range e.obs.all() {
			if a.EndpointID == "gone" && a.StatusCode == 410 && a.State == dlv.StateDisabled {
				return nil
			}
		}
		return fmt.Errorf("no 410 attempt observed: %+v", e.obs.all())
	})
	testkit.Eventually(t, 5*time.Second, func() error {
		dl, _ := e.f.DeadLetters(context.Background(), "redir", 0)
		if len(dl) != 1 || dl[0].LastStatus != 302 {
			return fmt.Errorf("redirect dead letters %+v", dl)
		}
		return nil
	})
	if target.delivered() != 0 {
		t.Error("redirect followed")
	}
	// The control plane disables it: a later event reaches the other
	// endpoint (positive control) and nothing reaches the disabled one.
	ctx := context.Background()
	gone.Status = endpoint.StatusDisabled
	if err := e.f.SetEndpoints(ctx, []endpoint.Endpoint{redir, gone}); err != nil {
		t.Fatal(err)
	}
	e.log.Append(testEvent("popin_captured"))
	testkit.Eventually(t, 5*time.Second, func() error {
		if dl, _ := e.f.DeadLetters(ctx, "redir", 0); len(dl) != 2 {
			return fmt.Errorf("redir dead letters %d", len(dl))
		}
		return nil
	})
	rcv.mu.Lock()
	n := rcv.n
	rcv.mu.Unlock()
	if n != 1 {
		t.Errorf("disabled endpoint got %d requests", n)
	}
	// Active again: what was pending at the 410 is delivered.
	codes <- 200
	gone.Status = endpoint.StatusActive
	if err := e.f.SetEndpoints(ctx, []endpoint.Endpoint{redir, gone}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, inactiveDelay+10*time.Second, func() error {
		if rcv.delivered() != 1 {
			return fmt.Errorf("delivered %d", rcv.delivered())
		}
		return nil
	})
}

func newRedirector(t *testing.T, to string) string {
	rcv := newReceiver(t)
	rcv.setStatus(func(int) int { return 0 })
	srv := rcv.srv
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, http.StatusFound) })
	return srv.URL + "/r"
}
