package controlplane

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
)

// openHistory migrates a fresh database on the shared test ClickHouse.
func openHistory(t *testing.T) *chdb.DB {
	t.Helper()
	cfg := chdb.NewDefaultConfig()
	cfg.Addr, cfg.Database = chtest.Shared(t).Addr(), chtest.DatabaseName("mgmt_test")
	return chtest.MigratedDB(t, cfg, chdb.Settings{})
}

type row struct {
	delivery, event, name string
	attempt, code         int
	ok, test              bool
	at                    time.Time
	state                 string
}

func insertDeliveries(t *testing.T, db *chdb.DB, endpoint string, rows []row) {
	t.Helper()
	ctx := context.Background()
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO "+db.Table("deliveries")+" ("+chdb.DeliveriesColumns+")")
	if err != nil {
		t.Fatal(err)
	}
	b2u := func(v bool) uint8 {
		if v {
			return 1
		}
		return 0
	}
	for _, r := range rows {
		if err := b.Append(r.delivery, r.event, endpoint, "acme", r.name, "wh_"+r.delivery, uint32(r.attempt), uint16(r.code),
			b2u(r.ok), uint32(10*r.attempt+r.code/100), "", r.at, time.Unix(0, 0), b2u(r.test), "https://crm.example.com/h",
			`{"webhook-id":"wh_`+r.delivery+`","content-type":"application/json"}`, `{"id":"`+r.event+`"}`, "resp "+r.delivery, r.state); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

func insertEvents(t *testing.T, db *chdb.DB, n int, at time.Time) {
	t.Helper()
	ctx := context.Background()
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO "+db.Table("events")+" ("+chtest.SyntheticEventColumns+")")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		name := "popin_captured"
		if i%2 == 1 {
			name = "nudge_show"
		}
		ts := at.Add(time.Duration(i) * time.Second)
		if err := b.Append(fmt.Sprintf("ev-%d", i), "acme", name, "browser", uint8(1), "u1", "a1", "s1", int64(i), ts, ts, ts, ts,
			"https://www.acme.com/", "", "", "", "", "", "", "", "", "", "IN", "1.2.3.0", "UA", `{"email":"5e88…"}`); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

func TestHistoryRoutes(t *testing.T) {
	db := openHistory(t)
	f := newFixture(t, func(_ *Config, s *Settings) { s.History = NewClickHouseHistory(db) })
	f.mustSite("acme")
	f.mustEndpoint(map[string]any{"id": "crm", "site": "acme", "url": "https://crm.example.com/h", "events": []string{"popin_captured"}})
	now := f.now.Truncate(time.Second)
	var rows []row
	for i := range 30 { // d0..d29, each 1 min apart; every 3rd fails twice then is left failed
		d := fmt.Sprintf("d%02d", i)
		at := now.Add(-time.Duration(30-i) * time.Minute)
		if i%3 == 0 {
			rows = append(rows, row{d, "e" + d, "popin_captured", 1, 500, false, false, at.Add(-30 * time.Second), "failed"},
				row{d, "e" + d, "popin_captured", 2, 503, false, false, at, "dead"})
		} else {
			rows = append(rows, row{d, "e" + d, "popin_captured", 1, 200, true, false, at, "succeeded"})
		}
	}
	rows = append(rows, row{"t1", "et1", "popin_captured", 1, 200, true, true, now, "succeeded"})
	insertDeliveries(t, db, "crm", rows)

	// Newest first, cursor pagination covers every attempt once.
	seen := map[string]bool{}
	cursor := ""
	for page := 0; page < 10; page++ {
		st, body := f.do("GET", "/api/v1/endpoints/crm/deliveries?limit=7&cursor="+cursor, nil)
		if st != 200 {
			t.Fatalf("page %d: %d %v", page, st, body)
		}
		var prev time.Time
		for _, x := range body["data"].([]any) {
			d := x.(map[string]any)
			k := fmt.Sprintf("%s/%v", d["delivery_id"], d["attempt"])
			if seen[k] {
				t.Fatalf("%s twice", k)
			}
			seen[k] = true
			at, _ := time.Parse(time.RFC3339, d["attempted_at"].(string))
			if !prev.IsZero() && at.After(prev) {
				t.Fatal("not newest first")
			}
			prev = at
			if _, ok := d["request_body"]; ok {
				t.Fatal("list carries bodies")
			}
		}
		cursor, _ = body["next_cursor"].(string)
		if cursor == "" {
			break
		}
	}
	if len(seen) != len(rows) {
		t.Fatalf("paged %d attempts, want %d", len(seen), len(rows))
	}
	filters := []struct {
		q    string
		want int
	}{
		{"status=failed", 20}, {"status=ok", 21}, {"status=503", 10}, {"event=nudge_show", 0},
		{"from=" + now.Add(-10*time.Minute).Format(time.RFC3339), 14}, {"to=" + now.Add(-29*time.Minute).Format(time.RFC3339), 2},
	}
	for _, c := range filters {
		_, body := f.do("GET", "/api/v1/endpoints/crm/deliveries?limit=500&"+c.q, nil)
		if n := len(body["data"].([]any)); n != c.want {
			t.Errorf("%s: %d attempts, want %d", c.q, n, c.want)
		}
	}
	for _, bad := range []struct{ q, field string }{{"status=maybe", "status"}, {"from=yesterday", "from"}, {"limit=9999", "limit"}, {"cursor=zz", "cursor"},
		{"from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "to"}} {
		if st, body := f.do("GET", "/api/v1/endpoints/crm/deliveries?"+bad.q, nil); st != 422 || errField(body) != bad.field {
			t.Errorf("%s: %d %v", bad.q, st, body)
		}
	}
	if st, _ := f.do("GET", "/api/v1/endpoints/nope/deliveries", nil); st != 404 {
		t.Error("deliveries of unknown endpoint")
	}

	// Detail: latest attempt in full, every attempt listed.
	st, d := f.do("GET", "/api/v1/deliveries/d00", nil)
	if st != 200 || d["attempt"] != float64(2) || d["response_body"] != "resp d00" || len(d["attempts"].([]any)) != 2 {
		t.Fatalf("detail: %d %v", st, d)
	}
	if h := d["request_headers"].(map[string]any); h["webhook-id"] != "wh_d00" {
		t.Fatalf("headers: %v", h)
	}
	if st, _ := f.do("GET", "/api/v1/deliveries/nope", nil); st != 404 {
		t.Fatal("unknown delivery")
	}
	// ?attempt=N: that attempt in full (the row clicked in the UI).
	st, d = f.do("GET", "/api/v1/deliveries/d00?attempt=1", nil)
	if st != 200 || d["attempt"] != float64(1) || d["status_code"] != float64(500) || len(d["attempts"].([]any)) != 2 {
		t.Fatalf("attempt 1: %d %v", st, d)
	}
	for q, want := range map[string]int{"attempt=3": 404, "attempt=0": 422, "attempt=x": 422} {
		if st, body := f.do("GET", "/api/v1/deliveries/d00?"+q, nil); st != want || errField(body) != "attempt" {
			t.Errorf("%s: %d %v, want %d naming attempt", q, st, body, want)
		}
	}

	// Stats over the window, tests excluded.
	st, s := f.do("GET", "/api/v1/endpoints/crm/stats?window=1h", nil)
	if st != 200 || s["attempts"] != float64(40) || s["success_rate"] != 0.5 || s["last_success_at"] == nil {
		t.Fatalf("stats: %d %v", st, s)
	}
	if c := s["counts"].(map[string]any); c["2xx"] != float64(20) || c["5xx"] != float64(20) {
		t.Fatalf("counts: %v", c)
	}
	if s["p50_ms"].(float64) <= 0 || s["p95_ms"].(float64) < s["p50_ms"].(float64) || len(s["series"].([]any)) != 24 {
		t.Fatalf("latency/series: %v", s)
	}
	if st, body := f.do("GET", "/api/v1/endpoints/crm/stats?window=forever", nil); st != 422 || errField(body) != "window" {
		t.Fatalf("bad window: %d %v", st, body)
	}

	// Retry one; retry all failed since 15 min ago.
	if st, body := f.do("POST", "/api/v1/deliveries/d03/retry", nil); st != 202 {
		t.Fatalf("retry: %d %v", st, body)
	}
	if st, body := f.do("POST", "/api/v1/deliveries/t1/retry", nil); st != 409 {
		t.Fatalf("retry test delivery: %d %v", st, body)
	}
	st, body := f.do("POST", "/api/v1/endpoints/crm/retry-failed?since="+now.Add(-15*time.Minute).Format(time.RFC3339), nil)
	if st != 202 || body["queued"] != float64(5) { // d15 d18 d21 d24 d27
		t.Fatalf("retry-failed: %d %v", st, body)
	}
	if len(f.eng.retries) != 6 || f.eng.retries[1].Attempt != 2 {
		t.Fatalf("engine retries: %+v", f.eng.retries)
	}
	if st, body := f.do("POST", "/api/v1/endpoints/crm/retry-failed", nil); st != 422 || errField(body) != "since" {
		t.Fatalf("retry-failed without since: %d %v", st, body)
	}

	// Replay stored events matching the endpoint's filter, with the PII warning.
	insertEvents(t, db, 10, now.Add(-time.Hour))
	st, body = f.do("POST", "/api/v1/endpoints/crm/replay", map[string]any{"from": now.Add(-2 * time.Hour).Format(time.RFC3339), "to": now.Format(time.RFC3339)})
	if st != 202 || body["queued"] != float64(5) || !strings.Contains(fmt.Sprint(body["warning"]), "hash") {
		t.Fatalf("replay: %d %v", st, body)
	}
	if len(f.eng.replayed) != 5 || f.eng.replayed[0].Name != "popin_captured" || string(f.eng.replayed[0].Data) == "" {
		t.Fatalf("replayed: %+v", f.eng.replayed)
	}
	for _, bad := range []struct {
		body  any
		field string
	}{{map[string]any{}, "from"}, {map[string]any{"from": "x"}, "from"}, {map[string]any{"from": "1h", "to": "2h"}, "to"}, {map[string]any{"from": "1h", "extra": 1}, "extra"}} {
		if st, b := f.do("POST", "/api/v1/endpoints/crm/replay", bad.body); st != 422 || errField(b) != bad.field {
			t.Errorf("replay %v: %d %v", bad.body, st, b)
		}
	}
}
