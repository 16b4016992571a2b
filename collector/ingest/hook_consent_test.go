package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/consentstore"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/testkit"
)

func openConsentStore(t *testing.T, js natsrv.JetStreamer) *consentstore.Store {
	t.Helper()
	s, err := consentstore.New(consentstore.NewDefaultConfig(), consentstore.Settings{NATS: js, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s
}

// A Popin webhook inherits the last consent the visitor's browser events
// carried, also when the webhook reaches another node than the browser
// events (two ingests sharing one JetStream); a webhook of a visitor never
// seen carries none (the site's consent_mode decides).
func TestHookInheritsConsent(t *testing.T) {
	nats := natstest.StartServer(t)
	storeA, storeB := openConsentStore(t, natsrv.Fixed(nats.Connect(t))), openConsentStore(t, natsrv.Fixed(nats.Connect(t)))
	log := openTestLog(t, nil)
	nodeA := newHarnessWith(t, testConfig(), log, func(s *Settings) { s.Consent = storeA })
	nodeB := newHarnessWith(t, testConfig(), log, func(s *Settings) { s.Consent = storeB })

	browser := func(uid string, consent map[string]any) {
		ev := mkEvent("popin_widget_open")
		ev.Data = map[string]any{"uid": uid}
		ev.Ctx["consent"] = consent
		resp, body := postEvents(t, nodeA.srv.URL+"/v1/events?key="+testKey, "application/json", testOrigin, batchJSON(t, ev))
		if resp.StatusCode != 200 || !strings.Contains(string(body), ev.ID) || strings.Contains(string(body), `"code"`) {
			t.Fatalf("browser event: %d %s", resp.StatusCode, body)
		}
	}
	browser("u-denied", map[string]any{"ad_user_data": "denied", "analytics_storage": "granted"})
	browser("u-granted", map[string]any{"ads": true})
	for _, uid := range []string{"u-denied", "u-granted"} {
		testkit.Eventually(t, 10*time.Second, func() error {
			if c, err := storeB.Lookup(context.Background(), "acme", uid); err != nil || c == nil {
				return fmt.Errorf("node B does not know %s yet (%v)", uid, err)
			}
			return nil
		})
	}

	for _, tc := range []struct {
		uid  string
		want map[string]bool
	}{
		{"u-denied", map[string]bool{"ads": false, "analytics": true}},
		{"u-granted", map[string]bool{"ads": true}},
		{"u-never-seen", nil},
	} {
		t.Run(tc.uid, func(t *testing.T) {
			body := strings.Replace(hookBody, "3ab7634bb5f3a7544fd16ca0e5107b07", tc.uid, 1)
			status, resp := postHook(t, nodeB, testKey, "k3y", body)
			if status != 200 {
				t.Fatalf("webhook: %d %s", status, resp)
			}
			r := decodeResult(t, []byte(resp))
			ev, ok := log.get(r.Accepted[0])
			if !ok || ev.UID != tc.uid || !maps.Equal(ev.Context.Consent, tc.want) {
				b, _ := json.Marshal(ev.Context.Consent)
				t.Fatalf("stored webhook of %s has consent %s, want %v", ev.UID, b, tc.want)
			}
		})
	}
}

// Without a running consent memory a webhook is not stored under a guessed
// consent: it is refused as unavailable and Popin retries.
func TestHookRefusedWhenConsentMemoryDown(t *testing.T) {
	s, err := consentstore.New(consentstore.NewDefaultConfig(), consentstore.Settings{NATS: natsrv.Fixed(nil)})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarnessWith(t, testConfig(), openTestLog(t, nil), func(st *Settings) { st.Consent = s })
	if status, body := postHook(t, h, testKey, "k3y", `{"event":"popin_call_successful","timestamp":"2026-02-27 21:05:11"}`); status != 200 {
		t.Fatalf("webhook without uid (no lookup): %d %s", status, body) // the positive control
	}
	if status, body := postHook(t, h, testKey, "k3y", hookBody); status != 503 || !strings.Contains(body, "unavailable") {
		t.Fatalf("webhook while the memory is down: %d %s, want 503 unavailable", status, body)
	}
}
