package ingest

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// TestConsentModeAnnounced: the site's consent_mode reaches the SDK as the
// first WebSocket message and in every HTTP answer (issue 10.5).
func TestConsentModeAnnounced(t *testing.T) {
	h := newHarness(t, testConfig())
	for _, tc := range []struct{ key, want string }{
		{testKey, "opt_out"}, // unset: the default
		{"pk_optin", "opt_in"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			c := h.mustDial(tc.key, testOrigin)
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, b, err := c.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"consent_mode":"` + tc.want + `"}`; string(b) != want {
				t.Errorf("first message %s, want %s", b, want)
			}
			resp, body := postEvents(t, h.srv.URL+"/v1/events?key="+tc.key, "text/plain", testOrigin, batchJSON(t, mkEvent("nudge_show")))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("POST: %d %s", resp.StatusCode, body)
			}
			var res httpResult
			if err := json.Unmarshal(body, &res); err != nil || res.ConsentMode != tc.want || len(res.Accepted) != 1 {
				t.Errorf("POST answer %s, want consent_mode %s and one accepted", body, tc.want)
			}
		})
	}
}
