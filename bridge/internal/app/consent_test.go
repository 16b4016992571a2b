package app

import (
	"bytes"
	"context"
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
	defer rcv.Close()
	cfg := testConfig(t)
	cfg.Forwarder.AllowedPrivateTargets = []string{"127.0.0.0/8"}
	a, err := New(cfg, quietLogger(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(ctx)
	base := "http://" + a.Addr()
	apiCall(t, base, "POST", "/api/v1/endpoints", map[string]any{"id": "crm", "site": "demo", "url": rcv.URL + "/hook", "auth": "none",
		"events": []string{"popin_call_successful"}, "consent": []string{"ads"}}, 201)
	apiCall(t, base, "POST", "/api/v1/endpoints", map[string]any{"id": "meta", "site": "demo", "type": "facebook_capi",
		"pixel_id": "1234567890", "access_token": "EAAB", "graph_url": rcv.URL, "event_map": map[string]string{"popin_call_successful": "Contact"},
		"limited_data_use": map[string]int{"country": 1, "state": 1000}}, 201)

	post := func(path string, body []byte) {
		t.Helper()
		resp, err := http.Post(base+path, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || bytes.Contains(b, []byte(`"code"`)) {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
		}
	}
	for i, c := range []struct {
		uid     string
		consent map[string]any
	}{{"u-denied", map[string]any{"ad_user_data": "denied"}}, {"u-granted", map[string]any{"ads": true}}} {
		ev := map[string]any{"id": fmt.Sprintf("0c6f0000-0000-4000-8000-%012d", i+1), "name": "popin_widget_open", "ts": time.Now().UnixMilli(),
			"seq": 1, "sid": "s-1", "aid": "a-1", "data": map[string]any{"uid": c.uid}, "ctx": map[string]any{"url": "https://www.acme.com/", "consent": c.consent}}
		body, _ := json.Marshal(map[string]any{"batch": []any{ev}})
		post("/v1/events?key=pk_demo", body)
	}
	hook := func(uid string) []byte {
		return []byte(`{"event":"popin_call_successful","user_id":"` + uid + `","email":"asha@example.com","timestamp":"` + fmt.Sprint(time.Now().Unix()) + `",
			"properties":{"customer_name":"Asha Rao","call_duration":"185","url":"https://www.acme.com/p/1"}}`)
	}
	for _, uid := range []string{"u-denied", "u-granted", "u-never-seen"} {
		post("/v1/hooks/popin?key=pk_demo", hook(uid))
	}

	metric := func(name string) string {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for line := range strings.SplitSeq(string(b), "\n") {
			if strings.HasPrefix(line, name+" ") {
				return strings.TrimPrefix(line, name+" ")
			}
		}
		return ""
	}
	testkit.Eventually(t, 30*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		capi := strings.Count(strings.Join(graph, ""), `"event_name"`)
		if len(hooks) != 2 || capi != 2 {
			return fmt.Errorf("webhook endpoint got %d events, Conversions API %d; want 2 each", len(hooks), capi)
		}
		for _, ep := range []string{"crm", "meta"} {
			if v := metric(`bridge_forwarder_suppressed_total{endpoint="` + ep + `",purpose="ads"}`); v != "1" {
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
	a, err := New(testConfig(t), quietLogger(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(ctx)
	base := "http://" + a.Addr()
	apiCall(t, base, "POST", "/api/v1/erasures", map[string]any{"site": "demo", "email": "nope"}, 422)
	apiCall(t, base, "POST", "/api/v1/erasures", map[string]any{"site": "demo", "uid": "u-1"}, 503)
}
