package ingest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/event"
)

func postHook(t *testing.T, h *harness, key, apiKey, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/v1/hooks/popin?key="+key, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if apiKey != "" {
		req.Header.Set("X-API-KEY", apiKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// hookBody is a Popin server webhook as documented (schemas/popin example).
const hookBody = `{"event":"popin_call_successful","user_id":"3ab7634bb5f3a7544fd16ca0e5107b07","email":"asha@example.com",
"country_code":"+91","phone_number":"9792521396","timestamp":"2026-02-27 21:05:11",
"properties":{"customer_name":"Asha Rao","call_duration":"185","url":"https://www.acme.com/p/1"}}`

func TestPopinHook(t *testing.T) {
	h := newHarness(t, testConfig())
	other := strings.Replace(hookBody, "185", "186", 1) // another webhook, another id
	tests := []struct {
		name, key, apiKey, body string
		status                  int
		code                    Code
	}{
		{"right key", testKey, "k3y", hookBody, 200, ""},
		{"same webhook again", testKey, "k3y", hookBody, 200, ""},
		{"wrong key", testKey, "nope", other, 401, CodeBadKey},
		{"missing key", testKey, "", other, 401, CodeBadKey},
		{"key of another case", testKey, "K3Y", other, 401, CodeBadKey},
		{"dot site without key", "pk_open", "", hookBody, 200, ""},
		{"dot site with any key", "pk_open", "whatever", other, 200, ""},
		{"site without popin_api_key", "pk_nohooks", "", other, 403, CodeBadKey},
		{"site without popin_api_key, key sent", "pk_nohooks", "k3y", other, 403, CodeBadKey},
		{"unknown write key", "pk_nope", "k3y", other, 401, CodeBadKey},
		{"malformed", testKey, "k3y", `{"event":`, 400, CodeMalformed},
		{"no event name", testKey, "k3y", `{"user_id":"u"}`, 400, CodeMalformed},
		{"deep", testKey, "k3y", strings.Repeat("[", 10000), 413, CodeTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := h.log.len()
			status, body := postHook(t, h, tc.key, tc.apiKey, tc.body)
			if status != tc.status || (tc.code != "" && !strings.Contains(body, `"`+string(tc.code)+`"`)) {
				t.Fatalf("%d %s, want %d %s", status, body, tc.status, tc.code)
			}
			if tc.status != 200 {
				if h.log.len() != before {
					t.Fatal("refused webhook was stored")
				}
				return
			}
			r := decodeResult(t, []byte(body))
			e, ok := h.log.get(r.Accepted[0])
			if !ok || e.Source != event.SourcePopinServer || e.Name != "popin_call_successful" ||
				e.UID != "3ab7634bb5f3a7544fd16ca0e5107b07" || !e.Known {
				t.Fatalf("stored %+v (%v)", e, ok)
			}
			if n := h.log.times(e.ID); n != 1 {
				t.Fatalf("stored %d times", n)
			}
		})
	}

	// The log goes away: Popin is told to retry.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.log.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if status, body := postHook(t, h, testKey, "k3y", other); status != 503 || !strings.Contains(body, "unavailable") {
		t.Fatalf("log closed: %d %s", status, body)
	}
}
