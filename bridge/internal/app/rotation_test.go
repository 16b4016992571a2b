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

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// TestRotateTwiceEverySecretSigns goes through the wiring that used to
// drop rotated secrets (the control plane kept up to four, the forwarder
// was given one): create an endpoint through the API, rotate its secret
// twice within the overlap, send an event through ingest, and verify the
// delivered webhook with the Standard Webhooks library under each of the
// three secrets on its own.
func TestRotateTwiceEverySecretSigns(t *testing.T) {
	type delivery struct {
		body []byte
		hdr  http.Header
	}
	got := make(chan delivery, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- delivery{b, r.Header.Clone()}
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
	api := func(method, path string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer test-admin-token-0123456789")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, out)
		}
		return out
	}
	secrets := []string{api("POST", "/api/v1/endpoints", map[string]any{
		"id": "crm", "site": "demo", "url": rcv.URL + "/hook", "events": []string{"*"},
	})["secret"].(string)}
	for range 2 {
		secrets = append(secrets, api("POST", "/api/v1/endpoints/crm/rotate-secret", map[string]any{"overlap": "1h"})["secret"].(string))
	}

	n := 0
	send := func() {
		n++
		ev := map[string]any{"id": fmt.Sprintf("0b6f0000-0000-4000-8000-%012d", n), "name": "nudge_show", "ts": time.Now().UnixMilli(),
			"seq": 1, "sid": "s-1", "aid": "a-1", "data": map[string]any{"uid": "u-1"}, "ctx": map[string]any{"url": "https://www.acme.com/"}}
		b, _ := json.Marshal(map[string]any{"batch": []any{ev}})
		resp, err := http.Post(base+"/v1/events?key=pk_demo", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		rb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(rb), `"accepted":["`) {
			t.Fatalf("ingest: %d %s", resp.StatusCode, rb)
		}
	}
	// The endpoint reaches the forwarder through the store's watch; an
	// event fanned out before that is not delivered to it, so send new
	// events until one arrives.
	var d delivery
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	send()
	for d.body == nil {
		select {
		case d = <-got:
		case <-tick.C:
			send()
		case <-deadline:
			t.Fatal("no delivery within 30s")
		}
	}
	sigs := strings.Fields(d.hdr.Get("webhook-signature"))
	if len(sigs) != 3 {
		t.Errorf("want 3 signatures (current and two rotated-out), got %d: %v", len(sigs), sigs)
	}
	for i, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(d.body, d.hdr); err != nil {
			t.Errorf("secret %d of 3 does not verify: %v", i+1, err)
		}
	}
}
