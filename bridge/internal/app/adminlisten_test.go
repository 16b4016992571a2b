package app

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAdminListenSplitsRoutes: with admin_listen set, the operator routes
// answer only on the admin listener and ingest only on the public one.
func TestAdminListenSplitsRoutes(t *testing.T) {
	cfg := testConfig(t)
	cfg.AdminListen = "127.0.0.1:0"
	a, err := New(cfg, quietLogger(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(ctx)
	public, admin := "http://"+a.Addr(), "http://"+a.AdminAddr()
	if a.AdminAddr() == "" || a.AdminAddr() == a.Addr() {
		t.Fatalf("admin addr %q, public %q", a.AdminAddr(), a.Addr())
	}
	cases := []struct {
		base, method, path string
		auth               bool
		status             int
		bodyHas            string
	}{
		// Positive controls first: each route answers where it belongs.
		{admin, "GET", "/metrics", false, 200, "bridge_eventlog_"},
		{admin, "GET", "/api/v1/sites", true, 200, `"id":"demo"`},
		{admin, "GET", "/admin/", false, 200, "<html"},
		{public, "POST", "/v1/events?key=nope", false, 401, "bad_key"},
		{public, "GET", "/healthz", false, 200, "ok"},
		{public, "GET", "/sdk.js", false, 200, "popinEvent"},
		// ... and nowhere else.
		{public, "GET", "/metrics", false, 404, ""},
		{public, "GET", "/api/v1/sites", true, 404, ""},
		{public, "GET", "/api/v1/openapi.json", true, 404, ""},
		{public, "GET", "/admin/", false, 404, ""},
		{public, "GET", "/admin", false, 404, ""},
		{public, "GET", "/sdk.js/../metrics", false, 404, ""},
		{admin, "POST", "/v1/events?key=nope", false, 404, ""},
		{admin, "GET", "/sdk.js", false, 404, ""},
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range cases {
		where := "public"
		if tc.base == admin {
			where = "admin"
		}
		t.Run(where+" "+tc.method+" "+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, tc.base+tc.path, strings.NewReader(`{"batch":[]}`))
			if tc.auth {
				req.Header.Set("Authorization", "Bearer test-admin-token-0123456789")
			}
			resp, err := noRedirect.Do(req)
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
