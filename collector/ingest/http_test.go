package ingest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func (h *harness) eventsURL(key string) string { return h.srv.URL + "/v1/events?key=" + key }

func decodeResult(t *testing.T, b []byte) httpResult {
	t.Helper()
	var r httpResult
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("body %s: %v", b, err)
	}
	return r
}

func TestHTTPAcceptsEveryEventNameAndDedups(t *testing.T) {
	for _, ct := range []string{"application/json", "text/plain;charset=UTF-8", ""} {
		t.Run("content-type "+ct, func(t *testing.T) {
			h := newHarness(t, testConfig())
			sent := allNamesBatch()
			body := batchJSON(t, sent...)
			for round := 0; round < 2; round++ {
				resp, b := postEvents(t, h.eventsURL(testKey), ct, testOrigin, body)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("round %d: %d %s", round, resp.StatusCode, b)
				}
				if got := resp.Header.Get("Access-Control-Allow-Origin"); got != testOrigin {
					t.Errorf("Access-Control-Allow-Origin %q", got)
				}
				r := decodeResult(t, b)
				if len(r.Accepted) != len(sent) || len(r.Rejected) != 0 {
					t.Fatalf("round %d: %s", round, b)
				}
			}
			checkStored(t, h, sent)
			for _, w := range sent {
				if n := h.log.times(w.ID); n != 1 {
					t.Errorf("%s stored %d times, want once", w.ID, n)
				}
			}
		})
	}
}

func TestHTTPPartialRejects(t *testing.T) {
	h := newHarness(t, testConfig())
	good := mkEvent("nudge_show")
	body := `{"batch":[` + string(mustJSON(t, good)) + `,{"name":"nudge_open"}]}`
	resp, b := postEvents(t, h.eventsURL(testKey), "application/json", "", []byte(body))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	r := decodeResult(t, b)
	if len(r.Accepted) != 1 || r.Accepted[0] != good.ID || len(r.Rejected) != 1 ||
		r.Rejected[0].Code != CodeInvalidEvent || !strings.Contains(r.Rejected[0].Error, "id") {
		t.Fatalf("got %s", b)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHTTPCORSPreflight(t *testing.T) {
	h := newHarness(t, testConfig())
	tests := []struct {
		origin, key string
		allowed     bool
	}{
		{testOrigin, testKey, true},
		{"https://shop.acme.com", testKey, true},
		{"https://evil.example", testKey, false},
		{testOrigin, "pk_nope", false},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(http.MethodOptions, h.eventsURL(tc.key), nil)
		req.Header.Set("Origin", tc.origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("Access-Control-Allow-Origin")
		if (got == tc.origin) != tc.allowed {
			t.Errorf("preflight %s key %s: Allow-Origin %q, allowed want %v", tc.origin, tc.key, got, tc.allowed)
		}
	}
}

func TestHTTPHostile(t *testing.T) {
	h := newHarness(t, testConfig())
	deep := `{"batch":[{"id":"` + newUUID() + `","name":"x","data":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}]}`
	many := `{"batch":[{}` + strings.Repeat(`,{}`, 9999) + `]}`
	tests := []struct {
		name, key, ct, origin, body string
		status                      int
		code                        Code
	}{
		{"wrong key", "pk_nope", "application/json", "", "{}", 401, CodeBadKey},
		{"disallowed origin", testKey, "application/json", "https://evil.example", "{}", 403, CodeOrigin},
		{"oversized body", testKey, "application/json", "", `{"batch":["` + strings.Repeat("a", 600<<10) + `"]}`, 413, CodeTooLarge},
		{"malformed JSON", testKey, "application/json", "", `{"batch":[`, 400, CodeMalformed},
		{"10k-deep nesting", testKey, "application/json", "", deep, 413, CodeTooLarge},
		{"10k events", testKey, "application/json", "", many, 413, CodeTooLarge},
		{"invalid UTF-8", testKey, "text/plain", "", "{\"batch\":[\"\xff\"]}", 400, CodeMalformed},
		{"wrong content type", testKey, "application/x-www-form-urlencoded", "", "{}", 415, CodeMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := postEvents(t, h.eventsURL(tc.key), tc.ct, tc.origin, []byte(tc.body))
			var eb errorBody
			_ = json.Unmarshal(b, &eb)
			if resp.StatusCode != tc.status || eb.Error.Code != tc.code {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, b, tc.status, tc.code)
			}
			// another client keeps being served
			e := mkEvent("nudge_show")
			resp, b = postEvents(t, h.eventsURL(testKey), "application/json", testOrigin, batchJSON(t, e))
			if resp.StatusCode != 200 || len(decodeResult(t, b).Accepted) != 1 {
				t.Fatalf("good client: %d %s", resp.StatusCode, b)
			}
		})
	}
}

func TestHTTPRetryableRefusals(t *testing.T) {
	cfg := testConfig()
	cfg.MaxEventsPerBatch = 5
	cfg.RateLimit.PerSiteEventsPerSecond = 0.01
	cfg.RateLimit.PerSiteBurst = 5
	h := newHarnessWith(t, cfg, fullLog(t))
	e := mkEvent("popin_captured")
	resp, b := postEvents(t, h.eventsURL(testKey), "application/json", "", batchJSON(t, e))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), string(CodeUnavailable)) {
		t.Fatalf("log full: %d %v %s", resp.StatusCode, resp.Header, b)
	}
	h = newHarness(t, cfg)
	evs := []wireEvent{mkEvent("nudge_show"), mkEvent("nudge_show"), mkEvent("nudge_show"), mkEvent("nudge_show"), mkEvent("nudge_show")}
	if resp, b := postEvents(t, h.eventsURL(testKey), "application/json", "", batchJSON(t, evs...)); resp.StatusCode != 200 {
		t.Fatalf("first batch: %d %s", resp.StatusCode, b)
	}
	resp, b = postEvents(t, h.eventsURL(testKey), "application/json", "", batchJSON(t, e))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), string(CodeRateLimited)) {
		t.Fatalf("rate limit: %d %v %s", resp.StatusCode, resp.Header, b)
	}
}
