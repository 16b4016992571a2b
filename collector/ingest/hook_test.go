package ingest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/popinbridge/bridge/collector/event"
	"github.com/popinbridge/bridge/collector/eventlog"
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
	var b strings.Builder
	_, _ = strings.NewReader("").WriteTo(&b)
	buf := make([]byte, 4096)
	n, _ := resp.Body.Read(buf)
	return resp.StatusCode, string(buf[:n])
}

const hookBody = `{"event":"popin_call_successful","user_id":"u-9","data":{"call_id":"c-1"}}`

func TestPopinHook(t *testing.T) {
	h := newHarness(t, testConfig())
	tests := []struct {
		name, key, apiKey, body string
		status                  int
		code                    Code
	}{
		{"right key", testKey, "k3y", hookBody, 200, ""},
		{"wrong key", testKey, "nope", hookBody, 401, CodeBadKey},
		{"missing key", testKey, "", hookBody, 401, CodeBadKey},
		{"key of another case", testKey, "K3Y", hookBody, 401, CodeBadKey},
		{"dot site without key", "pk_open", "", hookBody, 200, ""},
		{"dot site with any key", "pk_open", "whatever", hookBody, 200, ""},
		{"site without popin_api_key", "pk_nohooks", "", hookBody, 403, CodeBadKey},
		{"site without popin_api_key, key sent", "pk_nohooks", "k3y", hookBody, 403, CodeBadKey},
		{"unknown write key", "pk_nope", "k3y", hookBody, 401, CodeBadKey},
		{"malformed", testKey, "k3y", `{"event":`, 400, CodeMalformed},
		{"deep", testKey, "k3y", strings.Repeat("[", 10000), 413, CodeTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := h.log.len()
			status, body := postHook(t, h, tc.key, tc.apiKey, tc.body)
			if status != tc.status || (tc.code != "" && !strings.Contains(body, `"`+string(tc.code)+`"`)) {
				t.Fatalf("%d %s, want %d %s", status, body, tc.status, tc.code)
			}
			if tc.status == 200 {
				r := decodeResult(t, []byte(body))
				e, ok := h.log.get(r.Accepted[0])
				if !ok || e.Source != event.SourcePopinServer || e.Name != "popin_call_successful" || e.UID != "u-9" || !e.Known {
					t.Fatalf("stored %+v (%v)", e, ok)
				}
			} else if h.log.len() != before {
				t.Fatal("refused webhook was stored")
			}
		})
	}

	full := error(eventlog.ErrUnavailable)
	h.log.fail.Store(&full)
	if status, body := postHook(t, h, testKey, "k3y", hookBody); status != 503 || !strings.Contains(body, "unavailable") {
		t.Fatalf("log unavailable: %d %s", status, body)
	}
}
