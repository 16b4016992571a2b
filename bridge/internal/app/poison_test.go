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
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

// An endpoint the engine cannot use — here a record an older version
// stored with a header the forwarder sets itself — is left out, shown as
// such in the API and the metrics, and every other endpoint keeps
// delivering, also after a restart.
func TestPoisonedEndpointIsolatedAcrossRestart(t *testing.T) {
	got := make(chan string, 100)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("webhook-id")
	}))
	defer rcv.Close()
	cfg := testConfig(t)
	cfg.Forwarder.AllowedPrivateTargets = []string{"127.0.0.0/8"}

	start := func() (*App, string) {
		a, err := New(cfg, quietLogger(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := a.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return a, "http://" + a.Addr()
	}
	stop := func(a *App) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	a, base := start()
	apiCall(t, base, "POST", "/api/v1/endpoints", map[string]any{"id": "crm", "site": "demo", "url": rcv.URL + "/hook", "auth": "none"}, 201)
	// What an older version could store: the API refuses it today.
	poison := map[string]any{"id": "poison", "site": "demo", "type": "webhook", "url": rcv.URL + "/poison", "auth": "none",
		"events": []string{"*"}, "status": "active", "headers": map[string]string{"Content-Length": "3"}}
	apiCall(t, base, "POST", "/api/v1/endpoints", poison, 422)
	b, _ := json.Marshal(poison)
	kv, err := a.nats.JetStream().KeyValue(context.Background(), cfg.ControlPlane.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(context.Background(), "endpoint.poison", b); err != nil {
		t.Fatal(err)
	}
	stop(a)

	a, base = start()
	defer stop(a)
	testkit.Eventually(t, 10*time.Second, func() error {
		ep := apiCall(t, base, "GET", "/api/v1/endpoints/poison", nil, 200)
		if e, _ := ep["delivery_error"].(string); !strings.Contains(e, "headers") {
			return fmt.Errorf("poison endpoint: delivery_error %q, want one naming headers", e)
		}
		return nil
	})
	// Admin mistakes are answered 4xx naming the problem, not 500: a test
	// send to the left-out endpoint, and one to a Conversions API endpoint
	// that maps no event.
	if e := apiCall(t, base, "POST", "/api/v1/endpoints/poison/test", nil, 409); !strings.Contains(fmt.Sprint(e["error"]), "headers") {
		t.Errorf("test send to the left-out endpoint: %v", e)
	}
	apiCall(t, base, "POST", "/api/v1/endpoints", map[string]any{"id": "meta", "site": "demo", "type": "facebook_capi",
		"pixel_id": "1234567890", "access_token": "EAAB", "graph_url": rcv.URL,
		"event_map": map[string]string{"popin_captured": "", "popin_schedule_created": "", "popin_call_end": "", "popin_call_successful": ""}}, 201)
	testkit.Eventually(t, 10*time.Second, func() error {
		e := apiCallAny(t, base, "POST", "/api/v1/endpoints/meta/test", nil)
		if e.status != 422 || !strings.Contains(fmt.Sprint(e.body["error"]), "event") {
			return fmt.Errorf("test send to a CAPI endpoint mapping nothing: %d %v, want 422 naming the event", e.status, e.body)
		}
		return nil
	})
	// Events keep reaching the healthy endpoint.
	for i := range 3 {
		ev := map[string]any{"id": fmt.Sprintf("0b6f0000-0000-4000-8000-%012d", i+1), "name": "nudge_show", "ts": time.Now().UnixMilli(),
			"seq": i + 1, "sid": "s-1", "aid": "a-1", "data": map[string]any{"uid": "u-1"}, "ctx": map[string]any{"url": "https://www.acme.com/"}}
		body, _ := json.Marshal(map[string]any{"batch": []any{ev}})
		resp, err := http.Post(base+"/v1/events?key=pk_demo", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	seen := map[string]bool{}
	deadline := time.After(30 * time.Second)
	for len(seen) < 3 {
		select {
		case id := <-got:
			seen[id] = true
		case <-deadline:
			t.Fatalf("healthy endpoint got %d of 3 events", len(seen))
		}
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(m), `bridge_forwarder_endpoints_invalid{endpoint="poison"} 1`) {
		t.Error("metric bridge_forwarder_endpoints_invalid does not show the poisoned endpoint")
	}
}
