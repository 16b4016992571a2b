package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// browserNames are every browser event name of popin-events.md (with the
// alias popin_call_missed) plus one the schemas do not know.
var browserNames = []string{
	"nudge_show", "nudge_open", "nudge_close", "popin_permission_given", "popin_permission_denied",
	"popin_expert_busy", "popin_call_missed", "popin_rating_done", "popin_schedule_created",
	"popin_call_end", "popin_captured", "popin_screen_change", "popin_auto_captured",
	"popin_widget_open", "popin_widget_close", "popin_brand_new_event",
}

func wireEvent(id, name string) map[string]any {
	data := map[string]any{"uid": "u-" + name}
	switch name {
	case "popin_rating_done":
		data["rating"] = 4
	case "popin_screen_change":
		data["screen"] = "lead_form"
	case "popin_captured":
		data["email"] = "Asha@Example.com"
		data["mobile"] = "9876543210"
	}
	return map[string]any{"id": id, "name": name, "ts": time.Now().UnixMilli(), "seq": 1, "sid": "s-1", "aid": "a-1",
		"data": data, "ctx": map[string]any{"url": "https://www.acme.com/p?utm_source=fb", "title": "Acme", "utm": map[string]string{"utm_source": "fb"}}}
}

// storedRows reads name → "source known uid url utm_source" for the given ids.
func storedRows(t *testing.T, srv *chtest.Server, db string, ids []string) map[string]string {
	t.Helper()
	q := fmt.Sprintf("SELECT event_id, name, source, known, uid, url, utm_source, data FROM %s.events FINAL WHERE event_id IN ('%s') FORMAT TSV",
		db, strings.Join(ids, "','"))
	out, err := srv.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Split(line, "\t"); len(f) == 8 {
			if _, dup := rows[f[1]]; dup {
				t.Errorf("event %s stored twice", f[1])
			}
			rows[f[1]] = strings.Join(f[2:], " ")
		}
	}
	return rows
}

// TestEveryEventNameReachesClickHouse: every browser event name plus an
// unknown one, over WebSocket and over HTTP, lands in ClickHouse with the
// right fields; sending the same ids again stores nothing new.
func TestEveryEventNameReachesClickHouse(t *testing.T) {
	srv := chtest.Shared(t)
	db := uniqueDB("names")
	b := startBridge(t, chConfig(srv, db))

	for _, transport := range []string{"ws", "http"} {
		t.Run(transport, func(t *testing.T) {
			var ids []string
			var batch []any
			for _, n := range browserNames {
				id := uuid.NewString()
				ids = append(ids, id)
				batch = append(batch, wireEvent(id, n))
			}
			frame, _ := json.Marshal(map[string]any{"batch": batch})
			for round := 0; round < 2; round++ { // the second round resends the same ids
				acked := send(t, transport, b.addr, frame)
				if acked != len(ids) {
					t.Fatalf("round %d: %d of %d acked", round, acked, len(ids))
				}
			}
			var rows map[string]string
			testkit.Eventually(t, time.Minute, func() error {
				if rows = storedRows(t, srv, db, ids); len(rows) != len(ids) {
					return fmt.Errorf("%d of %d rows stored", len(rows), len(ids))
				}
				return nil
			})
			for _, n := range browserNames {
				r, ok := rows[n]
				if !ok {
					t.Errorf("%s not stored", n)
					continue
				}
				wantKnown := "1"
				if n == "popin_brand_new_event" {
					wantKnown = "0"
				}
				if !strings.HasPrefix(r, "browser "+wantKnown+" u-"+n+" https://www.acme.com/p?utm_source=fb fb ") {
					t.Errorf("%s stored as %q", n, r)
				}
			}
			if r := rows["popin_captured"]; strings.Contains(r, "Asha@Example.com") || strings.Contains(r, "9876543210") {
				t.Errorf("raw email or phone stored under the default hash policy: %s", r)
			}
			out, _ := srv.Query(context.Background(), fmt.Sprintf("SELECT count() FROM %s.events WHERE event_id IN ('%s')", db, strings.Join(ids, "','")))
			t.Logf("%s: %s physical rows for %d events before merges (FINAL shows each once)", transport, out, len(ids))
		})
	}
}

// send posts one frame and returns how many ids were acked or accepted.
func send(t *testing.T, transport, addr string, frame []byte) int {
	t.Helper()
	if transport == "http" {
		resp, err := http.Post("http://"+addr+"/v1/events?key=pk_acme", "text/plain", bytes.NewReader(frame))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r struct {
			Accepted []string
			Rejected []any
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 {
			t.Fatalf("HTTP %d: %v", resp.StatusCode, err)
		}
		if len(r.Rejected) > 0 {
			t.Fatalf("rejected: %v", r.Rejected)
		}
		return len(r.Accepted)
	}
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/v1/ws?key=pk_acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteMessage(websocket.TextMessage, frame); err != nil {
		t.Fatal(err)
	}
	var f struct{ Batch []any }
	_ = json.Unmarshal(frame, &f)
	acked := 0
	for acked < len(f.Batch) {
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		var m struct {
			Ack    []string
			Reject []any
		}
		if err := c.ReadJSON(&m); err != nil {
			t.Fatalf("after %d acks: %v", acked, err)
		}
		if len(m.Reject) > 0 {
			t.Fatalf("rejected: %v", m.Reject)
		}
		acked += len(m.Ack)
	}
	return acked
}
