package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/popinbridge/bridge/internal/chtest"
)

// TestPopinHookFloodIsRateLimited (issue 9.3), through the real binary with
// the default rate limits: 2 500 webhooks from one IP are answered 429 with
// Retry-After once its burst is spent, while a webhook from another IP is
// still accepted.
func TestPopinHookFloodIsRateLimited(t *testing.T) {
	srv := chtest.Shared(t)
	b := startBridge(t, fmt.Sprintf(`clickhouse:
  addr: %q
  database: %q
sites:
  - id: "acme"
    write_key: "pk_acme"
    origins: ["http://127.0.0.1"]
    popin_api_key: "k3y"
`, srv.Addr(), uniqueDB("hookflood")))
	from := func(ip string) *http.Client {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		return &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			},
		}}
	}
	body := `{"event":"popin_call_end","user_id":"u-1","timestamp":"2026-02-27 21:05:11","properties":{"url":"https://www.acme.com/"}}`
	post := func(c *http.Client) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+b.addr+"/v1/hooks/popin?key=pk_acme", strings.NewReader(body))
		req.Header.Set("X-API-KEY", "k3y")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	flood := from("127.0.0.1")
	if status, _ := post(flood); status != 200 {
		t.Fatalf("first webhook: %d\n%s", status, b.logs())
	}
	limited := 0
	for i := 1; i < 2500 && limited == 0; i++ {
		switch status, retry := post(flood); status {
		case 200:
		case http.StatusTooManyRequests:
			if retry == "" {
				t.Fatal("429 without Retry-After")
			}
			limited = i
		default:
			t.Fatalf("webhook %d: %d", i, status)
		}
	}
	if limited == 0 {
		t.Fatal("2 500 webhooks from one IP were all accepted")
	}
	t.Logf("first 429 after %d webhooks", limited)
	if status, _ := post(from("127.0.0.2")); status != 200 {
		t.Fatalf("another IP: %d", status)
	}
}
