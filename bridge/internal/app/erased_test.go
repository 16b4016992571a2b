package app

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/testkit"
)

// After an erasure by e-mail, a later event of that person (same e-mail,
// new uid) is not forwarded — the delivery is recorded suppressed with
// reason "erased" — and is stored without personal data or identifiers;
// another person's event sent at the same time is delivered and stored
// as usual (the positive control).
func TestErasedPersonSuppressed(t *testing.T) {
	var mu sync.Mutex
	var hooks []string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hooks = append(hooks, string(b))
		mu.Unlock()
	}))
	t.Cleanup(rcv.Close)
	cfg := testConfig(t)
	cfg.ClickHouse.Addr = chtest.Shared(t).Addr()
	cfg.ClickHouse.Database = chtest.DatabaseName("erased")
	cfg.Forwarder.AllowedPrivateTargets = []string{"127.0.0.0/8"}
	a, ctx, base := serveApp(t, cfg, 90*time.Second)
	apiCall(t, base, "POST", "/api/v1/endpoints", map[string]any{"id": "crm", "site": "demo", "url": rcv.URL + "/hook", "auth": "none",
		"events": []string{"popin_call_successful"}}, 201)
	hook := func(uid, email string) {
		t.Helper()
		postOK(t, base+"/v1/hooks/popin?key=pk_demo", popinHook(uid, email, `{"customer_name":"Someone","call_duration":"185"}`))
	}
	query := func(q string) ([][]string, error) { return queryStrings(ctx, a, q) }

	hook("u-ann", "ann@example.com")
	testkit.Eventually(t, 60*time.Second, func() error {
		rows, err := query("SELECT uid, data FROM $db.events WHERE site_id = 'demo'")
		if err != nil || len(rows) != 1 {
			return fmt.Errorf("ann's first event not stored yet: %v %v", rows, err)
		}
		return nil
	})
	job := apiCall(t, base, "POST", "/api/v1/erasures", map[string]any{"site": "demo", "email": " ANN@example.com"}, 202)
	testkit.Eventually(t, 60*time.Second, func() error {
		if j := apiCall(t, base, "GET", fmt.Sprintf("/api/v1/erasures/%v", job["id"]), nil, 200); j["status"] != "done" {
			return fmt.Errorf("erasure %v", j)
		}
		return nil
	})

	hook("u-ann-2", "Ann@Example.com") // the same person, a new uid
	hook("u-bob", "bob@example.com")
	testkit.Eventually(t, 60*time.Second, func() error {
		mu.Lock()
		n := len(hooks)
		mu.Unlock()
		if n < 2 { // ann's first event, then bob's
			return fmt.Errorf("%d deliveries, want 2", n)
		}
		rows, err := query("SELECT state, error FROM $db.deliveries WHERE endpoint_id = 'crm' AND state = 'suppressed'")
		if err != nil || len(rows) != 1 || !strings.Contains(rows[0][1], "erased") {
			return fmt.Errorf("suppressed deliveries %v (%v), want one naming erased", rows, err)
		}
		rows, err = query("SELECT uid, data FROM $db.events WHERE site_id = 'demo' ORDER BY uid")
		if err != nil || len(rows) != 2 {
			return fmt.Errorf("events %v (%v), want the anonymous one and bob's", rows, err)
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	if len(hooks) != 2 || !strings.Contains(hooks[1], "u-bob") || strings.Contains(hooks[1], "u-ann") {
		t.Fatalf("forwarded %v, want ann's first event and bob's", hooks)
	}
	rows, err := query("SELECT uid, data FROM $db.events WHERE site_id = 'demo' ORDER BY uid")
	if err != nil {
		t.Fatal(err)
	}
	annHash := piinorm.Hash("ann@example.com")
	if rows[0][0] != "" || strings.Contains(strings.ToLower(rows[0][1]), "ann") || strings.Contains(rows[0][1], annHash) {
		t.Errorf("the erased person's later event stored with personal data: %v", rows[0])
	}
	if rows[1][0] != "u-bob" || !strings.Contains(rows[1][1], piinorm.Hash("bob@example.com")) {
		t.Errorf("bob's event stored as %v, want his uid and hashed e-mail", rows[1])
	}
	if v := metricValue(t, base, `bridge_forwarder_suppressed_total{endpoint="crm",purpose="erased"}`); v != "1" {
		t.Errorf("suppressed metric %q, want 1", v)
	}
}
