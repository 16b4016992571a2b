package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// fairShareConfig: two sites, a 1 MiB event log, and a ClickHouse nobody
// listens on, so that nothing read from the log is acked or purged.
func fairShareConfig(t *testing.T) string {
	return fmt.Sprintf(`ingest:
  rate_limit:
    per_ip_events_per_second: 0
    per_site_events_per_second: 0
event_log:
  max_bytes: 1048576
  max_commit_bytes: 65536
  site_max_share: 0.5
clickhouse:
  addr: %q
sites:
  - id: "noisy"
    write_key: "pk_noisy"
    origins: ["http://127.0.0.1"]
  - id: "quiet"
    write_key: "pk_quiet"
    origins: ["http://127.0.0.1"]
`, freeAddr(t))
}

// postBig posts n events of about 18 KiB each for key and returns the status,
// the Retry-After header and how many events were accepted.
func postBig(t *testing.T, addr, key string, n int) (int, string, int) {
	t.Helper()
	var batch []any
	for range n {
		e := wireEvent(uuid.NewString(), "popin_screen_change")
		blob := strings.Repeat("x", 6<<10) // ingest.max_string_bytes is 8 KiB
		e["data"] = map[string]any{"uid": "u-1", "screen": "lead_form", "a": blob, "b": blob, "c": blob}
		batch = append(batch, e)
	}
	frame, _ := json.Marshal(map[string]any{"batch": batch})
	resp, err := http.Post("http://"+addr+"/v1/events?key="+key, "text/plain", bytes.NewReader(frame))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Accepted []string
		Rejected []any
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &r); err != nil || len(r.Rejected) > 0 {
			t.Fatalf("%s: %v, rejected %v: %s", key, err, r.Rejected, body)
		}
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), len(r.Accepted)
}

func readyz(t *testing.T, addr string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestOneSiteCannotFillTheLog (issue 9.2): one site flooding a small log is
// answered 503 + Retry-After at its share while another site's events are
// still acked; /readyz names the event log only once the whole log is full.
func TestOneSiteCannotFillTheLog(t *testing.T) {
	b := startBridge(t, fairShareConfig(t))

	flooded, status, retry := 0, 0, ""
	for range 100 { // 100 × 4 × 18 KiB is far over max_bytes
		var acc int
		if status, retry, acc = postBig(t, b.addr, "pk_noisy", 4); status != http.StatusOK {
			break
		}
		flooded += acc
	}
	if status != http.StatusServiceUnavailable || retry == "" {
		t.Fatalf("flooding site after %d events: HTTP %d, Retry-After %q; want 503 with Retry-After", flooded, status, retry)
	}
	if flooded == 0 {
		t.Fatal("the flooding site was refused before any event was accepted")
	}
	if st, acc := postQuiet(t, b.addr); st != http.StatusOK || acc != 2 {
		t.Fatalf("the other site while the flooder is at its share: HTTP %d, %d of 2 accepted\n%s", st, acc, b.logs())
	}
	if st, body := readyz(t, b.addr); strings.Contains(body, "event_log") {
		t.Fatalf("/readyz names the event log while only one site is at its share: %d %s", st, body)
	}

	// The other site fills the rest: now the log is full for everyone and
	// /readyz says so.
	for range 100 {
		if st, _, _ := postBig(t, b.addr, "pk_quiet", 4); st != http.StatusOK {
			break
		}
	}
	if st, _ := postQuiet(t, b.addr); st != http.StatusServiceUnavailable {
		t.Fatalf("a site's post once the log is full: HTTP %d, want 503", st)
	}
	if st, body := readyz(t, b.addr); st != http.StatusServiceUnavailable || !strings.Contains(body, "event_log") ||
		!strings.Contains(body, "full") {
		t.Fatalf("/readyz with a full log: %d %q; want 503 naming the full event log", st, body)
	}
}

func postQuiet(t *testing.T, addr string) (int, int) {
	t.Helper()
	st, _, acc := postBig(t, addr, "pk_quiet", 2)
	return st, acc
}
