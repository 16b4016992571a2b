package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestEncryptPolicyReplaysFullPayload: for a site with `pii: encrypt`,
// ClickHouse holds only ciphertext for e-mail, phone and name, and a replay
// through the management API delivers the original values.
func TestEncryptPolicyReplaysFullPayload(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(204)
	}))
	defer recv.Close()
	delivered := func(want int) func() error {
		return func() error {
			mu.Lock()
			defer mu.Unlock()
			if len(bodies) != want {
				return fmt.Errorf("%d deliveries, want %d", len(bodies), want)
			}
			return nil
		}
	}

	srv := chtest.Shared(t)
	const token = "e2e-admin-token-0123456789"
	db := uniqueDB("encrypt")
	b := startBridge(t, fmt.Sprintf(`admin_token: %q
clickhouse: {addr: %q, database: %q}
clickhouse_sink: {flush_interval: 200ms}
forwarder: {allowed_private_targets: ["127.0.0.0/8"]}
sites:
  - {id: acme, write_key: pk_acme, origins: ["*"], pii: encrypt}
endpoints:
  - {id: crm, site: acme, type: webhook, url: %q, auth: none, events: ["popin_captured"]}
`, token, srv.Addr(), db, recv.URL))

	id := uuid.NewString()
	ev := wireEvent(id, "popin_captured")
	ev["data"].(map[string]any)["name"] = "Asha Verma"
	frame, _ := json.Marshal(map[string]any{"batch": []any{ev}})
	if n := send(t, "http", b.addr, frame); n != 1 {
		t.Fatalf("%d accepted", n)
	}

	var stored string
	testkit.Eventually(t, time.Minute, func() error {
		var err error
		stored, err = srv.Query(context.Background(), fmt.Sprintf("SELECT data FROM %s.events FINAL WHERE event_id = '%s'", db, id))
		if err == nil && stored == "" {
			err = fmt.Errorf("event %s not stored", id)
		}
		return err
	})
	for _, raw := range []string{"Asha@Example.com", "9876543210", "Asha Verma"} {
		if strings.Contains(stored, raw) {
			t.Errorf("ClickHouse holds %q in the clear: %s", raw, stored)
		}
	}
	if strings.Count(stored, "enc:v1:") != 3 {
		t.Errorf("want 3 sealed values in %s", stored)
	}
	// The live delivery carried the original values.
	testkit.Eventually(t, 30*time.Second, delivered(1))

	from := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	to := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	req, _ := http.NewRequest("POST", "http://"+b.addr+"/api/v1/endpoints/crm/replay",
		bytes.NewReader([]byte(fmt.Sprintf(`{"from":%q,"to":%q}`, from, to))))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || strings.Contains(string(answer), "warning\":\"site") {
		t.Fatalf("replay answered %d %s", resp.StatusCode, answer)
	}
	testkit.Eventually(t, 30*time.Second, delivered(2))
	mu.Lock()
	replayed := bodies[1]
	mu.Unlock()
	for _, raw := range []string{"Asha@Example.com", "9876543210", "Asha Verma", id} {
		if !strings.Contains(replayed, raw) {
			t.Errorf("replayed body lacks %q: %s", raw, replayed)
		}
	}
}
