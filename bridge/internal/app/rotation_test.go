package app

import (
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
	t.Cleanup(rcv.Close)

	cfg := testConfig(t)
	cfg.Forwarder.AllowedPrivateTargets = []string{"127.0.0.0/8"}
	_, _, base := serveApp(t, cfg, 60*time.Second)
	secrets := []string{apiCall(t, base, "POST", "/api/v1/endpoints", map[string]any{
		"id": "crm", "site": "demo", "url": rcv.URL + "/hook", "events": []string{"*"},
	}, 201)["secret"].(string)}
	for range 2 {
		secrets = append(secrets, apiCall(t, base, "POST", "/api/v1/endpoints/crm/rotate-secret", map[string]any{"overlap": "1h"}, 200)["secret"].(string))
	}

	n := 0
	send := func() {
		n++
		if status, rb := ingestEvent(t, base, eventID(n)); status != 200 || !strings.Contains(string(rb), `"accepted":["`) {
			t.Fatalf("ingest: %d %s", status, rb)
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
