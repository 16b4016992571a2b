package deliverylog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/testkit"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chtest.StopShared()
	os.Exit(code)
}

// TestClickHouseWriter: rows written by a running Buffer, and at its
// Shutdown, land in the real deliveries table column for column.
func TestClickHouseWriter(t *testing.T) {
	srv := chtest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := chdb.NewDefaultConfig()
	c.Addr, c.Database = srv.Addr(), chtest.DatabaseName("dlog")
	db := chtest.MigratedDB(t, c, chdb.Settings{})
	table := db.Table("deliveries")
	b, err := New(NewClickHouseWriter(db.Conn(), table), 100, 10*time.Millisecond, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown(ctx)

	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	retrying := Record{DeliveryID: "d1", EventID: "ev1", EndpointID: "crm", SiteID: "s1", EventName: "popin_captured",
		WebhookID: "ev1", Attempt: 1, StatusCode: 503, LatencyMS: 12, Error: "status 503", AttemptedAt: at,
		NextAttemptAt: at.Add(time.Minute), RequestURL: "https://crm.example/hook",
		RequestHeaders: map[string]string{"authorization": "[redacted]"}, RequestBody: `{"a":1}`,
		ResponseBody: "busy", State: "retrying", Trigger: "first"}
	delivered := Record{DeliveryID: "d1", EventID: "ev1", EndpointID: "crm", SiteID: "s1", EventName: "popin_captured",
		WebhookID: "ev1", Attempt: 2, StatusCode: 200, OK: true, LatencyMS: 3, AttemptedAt: at.Add(time.Minute),
		Test: true, RequestURL: "https://crm.example/hook", State: "delivered", MatchKeys: "em,ph,ip,ua,fbp", Trigger: "retry"}

	count := func() (uint64, error) {
		var n uint64
		err := db.Conn().QueryRow(ctx, "SELECT count() FROM "+table+" WHERE event_id = 'ev1'").Scan(&n)
		return n, err
	}
	b.Add(retrying)
	testkit.Eventually(t, 20*time.Second, func() error { // written by the loop
		if n, err := count(); err != nil || n != 1 {
			return fmt.Errorf("%d rows, %v", n, err)
		}
		return nil
	})
	b.Add(delivered)
	if err := b.Shutdown(ctx); err != nil { // the last flush writes it
		t.Fatal(err)
	}
	if n, err := count(); err != nil || n != 2 {
		t.Fatalf("after Shutdown: %d rows, %v; want 2", n, err)
	}

	rows, err := db.Conn().Query(ctx, `SELECT delivery_id, event_id, endpoint_id, site_id, event_name, webhook_id,
		attempt, status_code, ok, latency_ms, error, attempted_at, next_attempt_at, test, request_url,
		request_headers, request_body, response_body, state, match_keys, trigger FROM `+table+` WHERE event_id = 'ev1' ORDER BY attempt`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var (
			did, eid, epid, sid, name, wid, errText, url, headers, reqBody, respBody, state, keys, trig string
			attempt, latency                                                                            uint32
			status                                                                                      uint16
			ok, test                                                                                    uint8
			attemptedAt, next                                                                           time.Time
		)
		if err := rows.Scan(&did, &eid, &epid, &sid, &name, &wid, &attempt, &status, &ok, &latency, &errText,
			&attemptedAt, &next, &test, &url, &headers, &reqBody, &respBody, &state, &keys, &trig); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s %s %s %d %d %d %d %q %s %d %d %s %s %q %q %s %q %s", did, eid, epid, sid, name,
			wid, attempt, status, ok, latency, errText, attemptedAt.UTC().Format(time.RFC3339), next.Unix(), test, url,
			headers, reqBody, respBody, state, keys, trig))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`d1 ev1 crm s1 popin_captured ev1 1 503 0 12 "status 503" 2025-03-04T05:06:07Z 1741064827 0 https://crm.example/hook {"authorization":"[redacted]"} "{\"a\":1}" "busy" retrying "" first`,
		`d1 ev1 crm s1 popin_captured ev1 2 200 1 3 "" 2025-03-04T05:07:07Z 0 1 https://crm.example/hook {} "" "" delivered "em,ph,ip,ua,fbp" retry`,
	}
	if len(got) != len(want) {
		t.Fatalf("rows:\n%v\nwant:\n%v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

// TestClickHouseWriterAmbiguousFailure: the first insert is stored but
// reported failed (as a timeout after the server received the block); the
// Buffer writes the batch again and, read as the control plane reads
// (FINAL), every attempt shows once.
func TestClickHouseWriterAmbiguousFailure(t *testing.T) {
	srv := chtest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := chdb.NewDefaultConfig()
	c.Addr, c.Database = srv.Addr(), chtest.DatabaseName("dlog_retry")
	db := chtest.MigratedDB(t, c, chdb.Settings{})
	table := db.Table("deliveries")
	if err := db.Conn().Exec(ctx, "SYSTEM STOP MERGES "+table); err != nil {
		t.Fatal(err)
	}
	ch := NewClickHouseWriter(db.Conn(), table)
	var calls int
	w := WriterFunc(func(ctx context.Context, rows []Record) error {
		calls++
		err := ch.WriteDeliveries(ctx, rows)
		if calls == 1 && err == nil {
			return errors.New("read: use of closed network connection")
		}
		return err
	})
	b, err := New(w, 100, time.Hour, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	const n = 20
	for i := range n {
		b.Add(Record{DeliveryID: fmt.Sprintf("d%d", i/2), EventID: "ev", EndpointID: "crm", Attempt: 1 + i%2,
			AttemptedAt: at.Add(time.Duration(i) * time.Second), State: "failed"})
	}
	b.flush(ctx) // stored, reported failed
	b.flush(ctx) // the retry
	if calls != 2 {
		t.Fatalf("%d writes, want 2", calls)
	}
	count := func(q string) uint64 {
		t.Helper()
		var v uint64
		if err := db.Conn().QueryRow(ctx, q).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := count("SELECT count() FROM " + table); got != 2*n && !db.Features().InsertDedup {
		t.Fatalf("control: %d rows stored, want both copies (%d)", got, 2*n)
	}
	if got := count("SELECT count() FROM " + table + " FINAL WHERE endpoint_id = 'crm'"); got != n {
		t.Errorf("FINAL: %d attempts, want %d", got, n)
	}
	if got := count("SELECT count() FROM (SELECT delivery_id FROM " + table + " FINAL GROUP BY delivery_id HAVING max(ok) = 0)"); got != n/2 {
		t.Errorf("failed deliveries: %d, want %d", got, n/2)
	}
}

// TestClickHouseWriterKeepsEveryAttempt: attempts of one delivery made
// within the same second — its first attempt 1 and a replay's attempt 1,
// and a second replay — are separate rows after OPTIMIZE FINAL (a merge
// keeps one row per key), while the first batch written again (the
// Buffer's retry of an insert whose outcome it did not know) collapses
// with its first copy.
func TestClickHouseWriterKeepsEveryAttempt(t *testing.T) {
	srv := chtest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := chdb.NewDefaultConfig()
	c.Addr, c.Database = srv.Addr(), chtest.DatabaseName("dlog_same_second")
	db := chtest.MigratedDB(t, c, chdb.Settings{})
	table := db.Table("deliveries")
	w := NewClickHouseWriter(db.Conn(), table)
	at := time.Date(2025, 3, 4, 5, 6, 7, 100_000_000, time.UTC)
	attempt := func(trigger string, after time.Duration) Record {
		return Record{DeliveryID: "d1", EventID: "ev1", EndpointID: "crm", EventName: "popin_captured", WebhookID: "ev1",
			Attempt: 1, StatusCode: 500, Error: "status 500", AttemptedAt: at.Add(after), State: "dead", Trigger: trigger}
	}
	first := []Record{attempt("first", 0)}
	for _, batch := range [][]Record{first, {attempt("replay", 300*time.Millisecond)}, {attempt("replay", 600*time.Millisecond)}, first} {
		if err := w.WriteDeliveries(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.Query(ctx, "OPTIMIZE TABLE "+table+" PARTITION 202503 FINAL"); err != nil {
		t.Fatal(err)
	}
	got, err := srv.Query(ctx, "SELECT trigger, toString(attempted_at), attempted_ns FROM "+table+" ORDER BY attempted_ns FORMAT CSV")
	if err != nil {
		t.Fatal(err)
	}
	ns := at.UnixNano()
	want := fmt.Sprintf("\"first\",\"2025-03-04 05:06:07\",%d\n\"replay\",\"2025-03-04 05:06:07\",%d\n\"replay\",\"2025-03-04 05:06:07\",%d",
		ns, ns+300_000_000, ns+600_000_000)
	if got != want {
		t.Errorf("rows after OPTIMIZE FINAL:\n%s\nwant:\n%s", got, want)
	}
}
