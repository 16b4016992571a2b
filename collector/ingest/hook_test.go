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

// TestPopinHookRateLimited: the webhook route spends the same per-IP and
// per-site tokens as the event routes (issue 9.3). One IP posting 2 500
// webhooks under the default limits is refused 429 with Retry-After once
// its burst is spent, while another IP is still served.
func TestPopinHookRateLimited(t *testing.T) {
	cfg := NewDefaultConfig()
	cfg.TrustProxy = true // X-Forwarded-For names the client IP
	h := newHarness(t, cfg)
	post := func(ip string) (int, string, string) {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/v1/hooks/popin?key="+testKey, strings.NewReader(hookBody))
		req.Header.Set("X-API-KEY", "k3y")
		req.Header.Set("X-Forwarded-For", ip)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Retry-After"), string(b)
	}
	const flood = "192.0.2.1"
	if status, _, body := post(flood); status != 200 {
		t.Fatalf("first webhook: %d %s", status, body)
	}
	limited := 0
	for i := 1; i < 2500 && limited == 0; i++ {
		switch status, retry, body := post(flood); status {
		case 200:
		case http.StatusTooManyRequests:
			if retry == "" || !strings.Contains(body, `"`+string(CodeRateLimited)+`"`) {
				t.Fatalf("429 without Retry-After or code: %q %s", retry, body)
			}
			if i < cfg.RateLimit.PerIPBurst {
				t.Fatalf("429 after %d webhooks, within the burst of %d", i, cfg.RateLimit.PerIPBurst)
			}
			limited = i
		default:
			t.Fatalf("webhook %d: %d %s", i, status, body)
		}
	}
	if limited == 0 {
		t.Fatal("2 500 webhooks from one IP were all accepted")
	}
	if status, _, body := post("192.0.2.2"); status != 200 {
		t.Fatalf("another IP: %d %s", status, body)
	}
}
