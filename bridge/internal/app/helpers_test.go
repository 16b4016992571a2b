package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/bridge/internal/config"
)

// serveApp builds and starts an App on cfg under a context of timeout,
// which it returns for the test's own calls, and shuts the App down with
// that context at Cleanup; base is its "http://" address. Receivers the App
// delivers to should be closed by a Cleanup registered before this call,
// so they outlive the App.
func serveApp(t *testing.T, cfg *config.Config, timeout time.Duration) (a *App, ctx context.Context, base string) {
	t.Helper()
	return serveAppLogging(t, cfg, timeout, quietLogger())
}

// serveAppLogging is serveApp with the App logging to logger.
func serveAppLogging(t *testing.T, cfg *config.Config, timeout time.Duration, logger *slog.Logger) (a *App, ctx context.Context, base string) {
	t.Helper()
	a, err := New(cfg, logger, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Shutdown(ctx) })
	return a, ctx, "http://" + a.Addr()
}

// postOK posts a JSON body to url and fails the test unless it is answered
// 200 without an error "code" in the answer.
func postOK(t *testing.T, url string, body []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || bytes.Contains(b, []byte(`"code"`)) {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, b)
	}
}

// popinHook is the body of a Popin server webhook for a successful call of
// uid with email, now; properties is its JSON "properties" object.
func popinHook(uid, email, properties string) []byte {
	return []byte(`{"event":"popin_call_successful","user_id":"` + uid + `","email":"` + email + `","timestamp":"` + fmt.Sprint(time.Now().Unix()) + `",
			"properties":` + properties + `}`)
}

// ingestEvent sends one event with id to a node's ingest endpoint and
// returns the status and the answer.
func ingestEvent(t *testing.T, base, id string) (int, []byte) {
	t.Helper()
	ev := map[string]any{"id": id, "name": "nudge_show", "ts": time.Now().UnixMilli(), "seq": 1, "sid": "s-1", "aid": "a-1",
		"data": map[string]any{"uid": "u-1"}, "ctx": map[string]any{"url": "https://www.acme.com/"}}
	body, _ := json.Marshal(map[string]any{"batch": []any{ev}})
	resp, err := http.Post(base+"/v1/events?key=pk_demo", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, b
}

// apiCall makes an admin API request and checks its status.
func apiCall(t *testing.T, base, method, path string, body any, want int) map[string]any {
	t.Helper()
	a := apiCallAny(t, base, method, path, body)
	if a.status != want {
		t.Fatalf("%s %s: %d %v, want %d", method, path, a.status, a.body, want)
	}
	return a.body
}

type apiAnswer struct {
	status int
	body   map[string]any
}

// apiCallAny makes an admin API request and returns its answer.
func apiCallAny(t *testing.T, base, method, path string, body any) apiAnswer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Authorization", "Bearer test-admin-token-0123456789")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return apiAnswer{resp.StatusCode, out}
}

func metricValue(t *testing.T, base, name string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

// queryStrings runs q on a's ClickHouse ($db: its database) and returns
// each row's columns, which must all be strings.
func queryStrings(ctx context.Context, a *App, q string) ([][]string, error) {
	db := a.DB()
	if db == nil {
		return nil, fmt.Errorf("ClickHouse not connected")
	}
	rows, err := db.Conn().Query(ctx, strings.ReplaceAll(q, "$db", db.Database()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		row := make([]string, len(rows.Columns()))
		dest := make([]any, len(row))
		for i := range row {
			dest[i] = &row[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, rows.Err()
}
