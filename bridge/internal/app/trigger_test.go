package app

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/forwarder/queue"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// Every attempt in the delivery log says what made it, through the real
// forwarder, ClickHouse and management API: a delivery that fails once
// and then succeeds logs first then retry; a dead delivery retried by hand
// logs manual (attempt numbers continue); a replay of the time range logs
// replay (numbers start again at 1) for both.
func TestAttemptTriggers(t *testing.T) {
	var mu sync.Mutex
	codes := map[string][]int{ // by webhook-id (the event id): answers in turn, then 200
		eventID(1): {500},
		eventID(2): {400},
	}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("webhook-id")
		mu.Lock()
		code := 200
		if c := codes[id]; len(c) > 0 {
			code, codes[id] = c[0], c[1:]
		}
		mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(rcv.Close)
	cfg := testConfig(t)
	cfg.ClickHouse.Addr = chtest.Shared(t).Addr()
	cfg.ClickHouse.Database = chtest.DatabaseName("trigger")
	cfg.ClickHouseSink.FlushInterval = 200 * time.Millisecond
	cfg.Forwarder.LogFlushInterval = "200ms"
	allowLoopback(cfg)
	a, ctx, base := serveApp(t, cfg, 90*time.Second)
	apiCall(t, base, "POST", "/api/v1/endpoints", map[string]any{"id": "crm", "site": "demo", "url": rcv.URL + "/hook", "auth": "none",
		"events": []string{"nudge_show"}, "retry_schedule": []string{"100ms"}}, 201)

	// attempts lists a delivery's logged attempts as "number trigger",
	// sorted (attempts in the same second have no reliable order).
	attempts := func(deliveryID string) []string {
		t.Helper()
		d := apiCallAny(t, base, "GET", "/api/v1/deliveries/"+deliveryID, nil)
		var out []string
		list, _ := d.body["attempts"].([]any)
		for _, x := range list {
			at, _ := x.(map[string]any)
			out = append(out, fmt.Sprintf("%v %v", at["attempt"], at["trigger"]))
		}
		slices.Sort(out)
		return out
	}
	want := func(deliveryID string, w ...string) func() error {
		return func() error {
			if got := attempts(deliveryID); !slices.Equal(got, w) {
				return fmt.Errorf("delivery %s attempts %q, want %q", deliveryID, got, w)
			}
			return nil
		}
	}
	retried, dead := queue.DeliveryID("crm", eventID(1)), queue.DeliveryID("crm", eventID(2))
	for i := 1; i <= 2; i++ {
		if st := postEvent(t, base, eventID(i)); st != 200 {
			t.Fatalf("event %d: status %d", i, st)
		}
	}
	testkit.Eventually(t, 30*time.Second, want(retried, "1 first", "2 retry"))
	testkit.Eventually(t, 30*time.Second, want(dead, "1 first"))

	apiCall(t, base, "POST", "/api/v1/deliveries/"+dead+"/retry", nil, 202)
	testkit.Eventually(t, 30*time.Second, want(dead, "1 first", "2 manual"))

	// The replay reads the events from ClickHouse: wait for both there.
	testkit.Eventually(t, 30*time.Second, func() error {
		if a.DB() == nil {
			return fmt.Errorf("ClickHouse not connected")
		}
		var n uint64
		err := a.DB().Conn().QueryRow(ctx, "SELECT count() FROM "+a.DB().Table("events")+" WHERE site_id = 'demo'").Scan(&n)
		if err == nil && n != 2 {
			err = fmt.Errorf("%d events stored, want 2", n)
		}
		return err
	})
	// Rows are keyed by second, delivery and attempt number: a replay's
	// attempt 1 in the same second as the first attempt would collapse
	// with it under FINAL. Replay once the clock is past the logged ones.
	first := apiCall(t, base, "GET", "/api/v1/deliveries/"+dead+"?attempt=2", nil, 200)
	last, err := time.Parse(time.RFC3339, fmt.Sprint(first["attempted_at"]))
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if time.Now().Truncate(time.Second).After(last) {
			return nil
		}
		return fmt.Errorf("still the second of the last logged attempt, %v", last)
	})
	now := time.Now().UTC()
	apiCall(t, base, "POST", "/api/v1/endpoints/crm/replay", map[string]any{"from": now.Add(-time.Hour).Format(time.RFC3339),
		"to": now.Add(time.Minute).Format(time.RFC3339)}, 202)
	testkit.Eventually(t, 30*time.Second, want(retried, "1 first", "1 replay", "2 retry"))
	testkit.Eventually(t, 30*time.Second, want(dead, "1 first", "1 replay", "2 manual"))

	// The list carries it too.
	l := apiCall(t, base, "GET", "/api/v1/endpoints/crm/deliveries?limit=50", nil, 200)
	seen := map[string]int{}
	rows, _ := l["data"].([]any)
	for _, x := range rows {
		d, _ := x.(map[string]any)
		seen[fmt.Sprint(d["trigger"])]++
	}
	if fmt.Sprint(seen) != "map[first:2 manual:1 replay:2 retry:1]" {
		t.Errorf("triggers in the deliveries list: %v", seen)
	}
}
