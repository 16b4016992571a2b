package app

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/bridge/internal/config"
)

// testConfig points ClickHouse at a closed port: the bridge must run, ack
// and answer everything without it (readiness says it is degraded).
func testConfig(t *testing.T) *config.Config {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.AdminToken = "test-admin-token-0123456789"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ClickHouse.Addr = l.Addr().String()
	l.Close()
	return cfg
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestRoutesWithoutClickHouse(t *testing.T) {
	_, _, base := serveApp(t, testConfig(t), 30*time.Second)
	cases := []struct {
		method, path string
		auth         bool
		status       int
		bodyHas      string
	}{
		{"GET", "/healthz", false, 200, "ok"},
		{"GET", "/readyz", false, 200, "degraded: clickhouse: "},
		{"GET", "/metrics", false, 200, "bridge_eventlog_"},
		{"GET", "/metrics", false, 200, `bridge_ready_degraded{component="clickhouse"} 1`},
		{"GET", "/metrics", false, 200, `bridge_ready_degraded{component="destinations"} 0`},
		{"GET", "/metrics", false, 200, "\nbridge_ready 1\n"},
		{"GET", "/metrics", false, 200, `bridge_build_info{commit="`},
		{"GET", "/sdk.js", false, 200, "popinEvent"},
		{"GET", "/admin/", false, 200, "<html"},
		{"GET", "/api/v1/sites", false, 401, "error"},
		{"GET", "/api/v1/sites", true, 200, `"id":"demo"`},
		{"GET", "/api/v1/openapi.json", true, 200, "openapi"},
		{"GET", "/api/v1/analytics/funnel?site=demo", true, 503, "ClickHouse"},
		{"POST", "/api/v1/erasures", true, 422, "batch: unknown field"},
		{"GET", "/api/v1/erasures/er_0123", true, 404, "not_found"},
		{"POST", "/v1/events?key=nope", false, 401, "bad_key"},
		{"GET", "/nowhere", false, 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(`{"batch":[]}`))
			if tc.auth {
				req.Header.Set("Authorization", "Bearer test-admin-token-0123456789")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.bodyHas) {
				t.Fatalf("%d %.300s; want %d containing %q", resp.StatusCode, b, tc.status, tc.bodyHas)
			}
		})
	}
}
