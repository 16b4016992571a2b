package forwarder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/forwarder/exporter/capi"
	dlv "github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/ssrf"
	"github.com/popinbridge/bridge/internal/testkit"
)

func TestSSRFGuardInDelivery(t *testing.T) {
	secret := signing.NewSecret()
	rcv := newReceiver(t, secret)
	port := rcv.srv.Listener.Addr().String()[strings.LastIndex(rcv.srv.Listener.Addr().String(), ":")+1:]
	loop := "http://127.0.0.1:" + port + "/hook"
	local := "http://localhost:" + port + "/hook"
	for _, allowed := range []bool{false, true} {
		t.Run(fmt.Sprintf("allowed=%v", allowed), func(t *testing.T) {
			cfg := testConfig()
			if !allowed {
				cfg.AllowedPrivateTargets = nil
				// Config validation refuses the URLs up front…
				guard, _ := ssrf.New(nil)
				if err := endpoint.ValidateList([]endpoint.Endpoint{webhookEP("a", loop, secret), webhookEP("b", local, secret)}, nil, endpoint.Checks{Guard: guard}); err == nil ||
					!strings.Contains(err.Error(), "ssrf guard") {
					t.Fatalf("validation: %v", err)
				}
			}
			e := newEnv(t, cfg)
			// …and the dialer refuses them even if they get in (e.g. DNS changes).
			forceEndpoints(t, e.f, webhookEP("loop", loop, secret), webhookEP("local", local, secret))
			e.log.Append(testEvent("popin_captured"))
			testkit.Eventually(t, 5*time.Second, func() error {
				if n := len(e.w.all()); n != 2 {
					return fmt.Errorf("%d rows", n)
				}
				return nil
			})
			for _, r := range e.w.all() {
				if allowed {
					if !r.OK {
						t.Errorf("%s: %+v", r.EndpointID, r)
					}
					continue
				}
				if r.OK || !strings.Contains(r.Error, "ssrf guard") || r.State != dlv.StateDead || r.Attempt != 1 {
					t.Errorf("%s: want a refused, non-retried attempt naming the guard: %+v", r.EndpointID, r)
				}
			}
			if !allowed {
				queueIdle(t, e, "loop")
				queueIdle(t, e, "local")
				if n := len(e.w.all()); n != 2 {
					t.Errorf("refused delivery retried: %d rows", n)
				}
			}
		})
	}
	if rcv.delivered() != 1 {
		t.Errorf("receiver got %d", rcv.delivered())
	}
	for _, u := range []string{"http://127.0.0.1/", "http://localhost/", "http://2130706433/", "http://0177.0.0.1/", "http://[::ffff:127.0.0.1]/", "http://169.254.169.254/"} {
		if err := (&ssrf.Guard{}).CheckURL(u); err == nil {
			t.Errorf("CheckURL(%s) allowed", u)
		}
	}
	if g, _ := ssrf.New([]string{"127.0.0.0/8"}); g.CheckURL("http://127.0.0.1/") != nil {
		t.Error("allowed_private_targets not honoured")
	}
}

// fakeGraph is a Conversions API sandbox on 127.0.0.1.
type fakeGraph struct {
	srv   *httptest.Server
	mu    sync.Mutex
	reqs  []capi.Request
	raw   []string
	paths []string
	reply func(req capi.Request) (int, string)
}

func newFakeGraph(t *testing.T) *fakeGraph {
	g := &fakeGraph{}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req capi.Request
		_ = json.Unmarshal(b, &req)
		g.mu.Lock()
		g.reqs = append(g.reqs, req)
		g.raw = append(g.raw, string(b))
		g.paths = append(g.paths, r.URL.Path)
		reply := g.reply
		g.mu.Unlock()
		code, body := 200, fmt.Sprintf(`{"events_received":%d,"fbtrace_id":"x"}`, len(req.Data))
		if reply != nil {
			code, body = reply(req)
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGraph) events() []capi.ServerEvent {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []capi.ServerEvent
	for i, r := range g.reqs {
		if i < len(g.reqs) {
			out = append(out, r.Data...)
		}
	}
	return out
}

func TestCAPIDelivery(t *testing.T) {
	g := newFakeGraph(t)
	ep := endpoint.Endpoint{ID: "meta", Site: "acme", Type: endpoint.TypeFacebookCAPI, PixelID: "1234567890", AccessToken: "EAAB-secret",
		GraphURL: g.srv.URL, TestEventCode: "TEST123", Events: []string{"*"}, EventMap: map[string]string{"nudge_show": "ViewContent"}}
	cfg := testConfig(ep)
	cfg.CAPIBatchWait = "300ms"
	e := newEnv(t, cfg)
	var evs []string
	for i := 0; i < 30; i++ {
		ev := testEvent([]string{"popin_captured", "popin_schedule_created", "popin_call_end", "popin_call_successful", "nudge_show", "nudge_close"}[i%6])
		if ev.Name != "nudge_close" {
			evs = append(evs, ev.ID)
		}
		e.log.Append(ev)
	}
	old := testEvent("popin_captured")
	old.ClientTime = time.Now().Add(-8 * 24 * time.Hour)
	old.ReceivedAt = old.ClientTime
	e.log.Append(old)
	testkit.Eventually(t, 10*time.Second, func() error {
		if n := len(g.events()); n != len(evs) {
			return fmt.Errorf("%d of %d events", n, len(evs))
		}
		return nil
	})
	g.mu.Lock()
	nreq := len(g.reqs)
	for i, raw := range g.raw {
		for _, pii := range []string{"@", "Asha", "asha", "98765", "9876543210", "Bengaluru", "560001"} {
			if strings.Contains(raw, pii) {
				t.Errorf("raw %q in CAPI request: %s", pii, raw)
			}
		}
		if g.paths[i] != "/v24.0/1234567890/events" || g.reqs[i].AccessToken != "EAAB-secret" || g.reqs[i].TestEventCode != "TEST123" {
			t.Errorf("request %d: path %s token %q code %q", i, g.paths[i], g.reqs[i].AccessToken, g.reqs[i].TestEventCode)
		}
	}
	g.mu.Unlock()
	t.Logf("%d events in %d requests", len(evs), nreq)
	if nreq >= len(evs) {
		t.Errorf("no batching: %d requests for %d events", nreq, len(evs))
	}
	names := map[string]string{}
	for _, se := range g.events() {
		names[se.EventName] = se.EventName
		if se.ActionSource != "website" || se.EventSourceURL != "https://www.acme.com/p/1" || se.UserData.FBC != "fb.1.1700000000000.AbCdEf" ||
			se.UserData.ClientIPAddress != "203.0.113.7" || se.UserData.ClientUserAgent == "" {
			t.Errorf("event %+v", se)
		}
		if se.UserData.Em[0] != capi.Hash("asha.rao@example.com") || se.UserData.Ph[0] != capi.Hash("919876543210") ||
			se.UserData.Fn[0] != capi.Hash("asha") || se.UserData.Ln[0] != capi.Hash("rao") || se.UserData.Country[0] != capi.Hash("in") {
			t.Errorf("user_data %+v", se.UserData)
		}
		if se.EventID == old.ID {
			t.Error("event older than 7 days was sent")
		}
	}
	for _, n := range []string{"Lead", "Schedule", "Contact", "ViewContent"} {
		if names[n] == "" {
			t.Errorf("no %s event", n)
		}
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		dl, _ := e.f.DeadLetters(context.Background(), "meta", 0)
		if len(dl) != 1 || dl[0].EventID != old.ID || !strings.Contains(dl[0].Reason, "7 days") {
			return fmt.Errorf("dead letters %+v", dl)
		}
		return nil
	})
	for _, r := range e.w.forEndpoint("meta") {
		if strings.Contains(r.RequestBody, "EAAB-secret") {
			t.Error("access token logged")
		}
	}
}

func TestCAPIErrors(t *testing.T) {
	g := newFakeGraph(t)
	var calls int
	g.reply = func(req capi.Request) (int, string) {
		calls++
		switch {
		case calls <= 2:
			return 400, `{"error":{"message":"User request limit reached","code":17,"error_subcode":2446079,"is_transient":true}}`
		case len(req.Data) == 1 && req.Data[0].EventName == "Schedule":
			return 400, `{"error":{"message":"Invalid parameter","code":100}}`
		case len(req.Data) > 1:
			return 400, `{"error":{"message":"Invalid parameter","code":100}}`
		}
		return 200, `{"events_received":1}`
	}
	ep := endpoint.Endpoint{ID: "meta", Site: "acme", Type: endpoint.TypeFacebookCAPI, PixelID: "1", AccessToken: "t", GraphURL: g.srv.URL}
	e := newEnv(t, testConfig(ep))
	a, b := testEvent("popin_captured"), testEvent("popin_schedule_created")
	e.log.Append(a, b)
	testkit.Eventually(t, 10*time.Second, func() error {
		dl, _ := e.f.DeadLetters(context.Background(), "meta", 0)
		ok := 0
		for _, r := range e.w.forEndpoint("meta") {
			if r.OK {
				ok++
			}
		}
		if len(dl) != 1 || dl[0].EventID != b.ID || ok != 1 {
			return fmt.Errorf("dead %+v ok %d", dl, ok)
		}
		return nil
	})
	var retried bool
	for _, r := range e.w.forEndpoint("meta") {
		if r.State == dlv.StateRetrying && strings.Contains(r.Error, "code 17") {
			retried = true
		}
	}
	if !retried {
		t.Error("code 17 not retried")
	}
}

// TestTestSendAndRotatedSecrets: a test send is logged as a test attempt;
// after two rotations within the overlap every unexpired secret signs, each
// as its own "v1," signature, so receivers holding any of the three verify
// (Standard Webhooks and Svix libraries, in receiver), and an expired one
// no longer signs.
func TestTestSendAndRotatedSecrets(t *testing.T) {
	s0, s1, s2, gone := signing.NewSecret(), signing.NewSecret(), signing.NewSecret(), signing.NewSecret()
	rcv := newReceiver(t, s0)
	e := newEnv(t, testConfig(webhookEP("ep", rcv.url(), s0)))
	ctx := context.Background()
	a, err := e.f.Test(ctx, "ep", nil)
	if err != nil || !a.OK || a.StatusCode != 200 || !a.Test {
		t.Fatalf("test attempt %+v %v", a, err)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		for _, r := range e.w.all() {
			if r.Test && r.State == dlv.StateTest && r.OK {
				return nil
			}
		}
		return fmt.Errorf("test attempt not logged")
	})
	all := newReceiver(t, s0, s1, s2)
	ep := webhookEP("ep", all.url(), s2)
	ep.PreviousSecrets = []endpoint.ExpiringSecret{
		{Secret: s1, Expires: time.Now().Add(time.Hour)},
		{Secret: s0, Expires: time.Now().Add(time.Hour)},
		{Secret: gone, Expires: time.Now().Add(-time.Second)},
	}
	if err := e.f.SetEndpoints(ctx, []endpoint.Endpoint{ep}); err != nil {
		t.Fatal(err)
	}
	e.log.Append(testEvent("popin_captured"))
	testkit.Eventually(t, 5*time.Second, func() error {
		if all.delivered() != 1 {
			return fmt.Errorf("delivered %d", all.delivered())
		}
		return nil
	})
	if errs := append(rcv.errors(), all.errors()...); len(errs) > 0 {
		t.Fatalf("verification: %v", errs)
	}
	all.mu.Lock()
	sigs := strings.Fields(all.headers[0].Get("webhook-signature"))
	all.mu.Unlock()
	if len(sigs) != 3 {
		t.Errorf("want three signatures (current and two rotated-out), got %v", sigs)
	}
	if _, err := e.f.Test(ctx, "nope", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("test of an unknown endpoint: %v", err)
	}
}
