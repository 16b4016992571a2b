package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/popinbridge/bridge/internal/chtest"
)

// receiver is a loopback destination (webhook or GA4 Measurement Protocol):
// it answers 204 and keeps every request body.
type receiver struct {
	mu     sync.Mutex
	bodies []string
	URL    string
}

func startReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// find returns the bodies that contain s.
func (r *receiver) find(s string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.bodies {
		if strings.Contains(b, s) {
			out = append(out, b)
		}
	}
	return out
}

// startForwardingBridge is startBridgeIngest whose site e2e has the extra
// flow-map fields siteExtra (e.g. `, consent_mode: opt_in`) and the
// endpoints of endpointsYAML (list items; loopback targets allowed).
func startForwardingBridge(t *testing.T, siteExtra, endpointsYAML string) *bridgeIngest {
	t.Helper()
	ch := chtest.Shared(t)
	db := uniqueDB(strings.ToLower(nonIdent.ReplaceAllString(t.Name(), "_")))
	cfg := fmt.Sprintf(`clickhouse: {addr: %q, database: %q}
clickhouse_sink: {flush_interval: 200ms}
forwarder: {allowed_private_targets: ["127.0.0.0/8"]}
sites:
  - {id: e2e, write_key: %q, origins: ["*"], pii: raw%s}
endpoints:
%s
`, ch.Addr(), db, "pk_"+db, siteExtra, endpointsYAML)
	return &bridgeIngest{proc: startBridge(t, cfg), ch: ch, db: db}
}
