package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

// A Popin webhook carries no consent: it inherits the last one the
// visitor's browser events carried. After a browser event denying ads for
// uid U, U's webhook reaches neither the Conversions API nor a webhook
// endpoint needing ads (both count it suppressed); webhooks of a visitor who
// granted ads, and of one never seen (the opt_out site's default), reach
// both.
func TestWebhookInheritsBrowserConsent(t *testing.T) {
	var mu sync.Mutex
	var hooks, graph []string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		if strings.HasPrefix(r.URL.Path, "/hook") {
			hooks = append(hooks, string(b))
		} else {
			graph = append(graph, string(b))
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"events_received":1,"fbtrace_id":"x"}`))
	}))
	t.Cleanup(rcv.Close)
	cfg := testConfig(t)
	cfg.Forwarder.AllowedPrivateTargets = []string{"127.0.0.0/8"}
	_, _, base := serveApp(t, cfg, 60*time.Second)
	apiCall(t, base, "POST", "/api/v1/endpoints", map[string]any{"id": "crm", "site": "demo", "url": rcv.URL + "/hook", "auth": "none",
		"events": []string{"popin_call_successful"}, "consent": []string{"ads"}}, 201)
	apiCall(t, base, "POST", "/api/v1/endpoints", map[string]any{"id": "meta", "site": "demo", "type": "facebook_capi",
		"pixel_id": "1234567890", "access_token": "EAAB", "graph_url": rcv.URL, "event_map": map[string]string{"popin_call_successful": "Contact"},
		"limited_data_use": map[string]int{"country": 1, "state": 1000}}, 201)

	for i, c := range []struct {
		uid     string
		consent map[string]any
	}{{"u-denied", map[string]any{"ad_user_data": "denied"}}, {"u-granted", map[string]any{"ads": true}}} {
		ev := map[string]any{"id": fmt.Sprintf("0c6f0000-0000-4000-8000-%012d", i+1), "name": "popin_widget_open", "ts": time.Now().UnixMilli(),
			"seq": 1, "sid": "s-1", "aid": "a-1", "data": map[string]any{"uid": c.uid}, "ctx": map[string]any{"url": "https://www.acme.com/", "consent": c.consent}}
		body, _ := json.Marshal(map[string]any{"batch": []any{ev}})
		postOK(t, base+"/v1/events?key=pk_demo", body)
	}
	for _, uid := range []string{"u-denied", "u-granted", "u-never-seen"} {
		postOK(t, base+"/v1/hooks/popin?key=pk_demo",
			popinHook(uid, "asha@example.com", `{"customer_name":"Asha Rao","call_duration":"185","url":"https://www.acme.com/p/1"}`))
	}

	testkit.Eventually(t, 30*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		capi := strings.Count(strings.Join(graph, ""), `"event_name"`)
		if len(hooks) != 2 || capi != 2 {
			return fmt.Errorf("webhook endpoint got %d events, Conversions API %d; want 2 each", len(hooks), capi)
		}
		for _, ep := range []string{"crm", "meta"} {
			if v := metricValue(t, base, `bridge_forwarder_suppressed_total{endpoint="`+ep+`",purpose="ads"}`); v != "1" {
				return fmt.Errorf("%s suppressed %q, want 1", ep, v)
			}
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	for _, g := range graph { // limited_data_use set through the API reaches the request body
		if !strings.Contains(g, `"data_processing_options":["LDU"],"data_processing_options_country":1,"data_processing_options_state":1000`) {
			t.Errorf("Conversions API body without Limited Data Use: %s", g)
		}
	}
	for _, h := range hooks {
		if strings.Contains(h, "u-denied") {
			t.Fatalf("the denied visitor's webhook was forwarded: %s", h)
		}
	}
	if !strings.Contains(strings.Join(hooks, ""), "u-granted") || !strings.Contains(strings.Join(hooks, ""), "u-never-seen") {
		t.Fatalf("forwarded webhooks %v, want u-granted's and u-never-seen's", hooks)
	}
}

// Without ClickHouse an erasure request is refused with 503 (Retry-After),
// after it was checked: an invalid one is still answered 422.
func TestErasureWithoutClickHouse(t *testing.T) {
	_, _, base := serveApp(t, testConfig(t), 60*time.Second)
	apiCall(t, base, "POST", "/api/v1/erasures", map[string]any{"site": "demo", "email": "nope"}, 422)
	apiCall(t, base, "POST", "/api/v1/erasures", map[string]any{"site": "demo", "uid": "u-1"}, 503)
}
