package chquery_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chquery"
	"github.com/popinbridge/bridge/internal/chtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chtest.StopShared()
	os.Exit(code)
}

type seed struct {
	day                          int // days before today
	site, name, source, uid, aid string
	sid, data                    string
	id                           string // "" = generated
}

// The seeded story (site acme, two days ago = D1, yesterday = D2):
// u1 goes the whole way, u2 calls via Popin's server, u3 opens, u4 only
// sees the nudge, u5 is captured without a nudge; u6 only reaches Popin's
// server. One event is stored twice (same id) to show the queries ignore
// not-yet-merged duplicates.
var seeds = []seed{
	{2, "acme", "nudge_show", "browser", "u1", "a1", "s1", `{"uid":"u1"}`, "dup-1"},
	{2, "acme", "nudge_show", "browser", "u1", "a1", "s1", `{"uid":"u1"}`, "dup-1"},
	{2, "acme", "nudge_open", "browser", "u1", "a1", "s1", `{"uid":"u1"}`, ""},
	{2, "acme", "popin_permission_given", "browser", "u1", "a1", "s1", `{"uid":"u1","audio":true,"video":true}`, ""},
	{2, "acme", "popin_captured", "browser", "u1", "a1", "s1", `{"uid":"u1","email":"x"}`, ""},
	{2, "acme", "popin_call_end", "browser", "u1", "a1", "s1", `{"uid":"u1","callId":"c1","invited":false}`, ""},
	{2, "acme", "popin_screen_change", "browser", "u1", "a1", "s1", `{"uid":"u1","screen":"home"}`, ""},
	{2, "acme", "popin_screen_change", "browser", "u1", "a1", "s1", `{"uid":"u1","screen":"call"}`, ""},
	{2, "acme", "nudge_show", "browser", "u2", "a2", "s2", `{"uid":"u2"}`, ""},
	{2, "acme", "nudge_open", "browser", "u2", "a2", "s2", `{"uid":"u2"}`, ""},
	{2, "acme", "popin_permission_given", "browser", "u2", "a2", "s2", `{"uid":"u2"}`, ""},
	{2, "acme", "popin_captured", "browser", "u2", "a2", "s2", `{"uid":"u2"}`, ""},
	{2, "acme", "popin_screen_change", "browser", "u2", "a2", "s2", `{"uid":"u2","screen":"home"}`, ""},
	{2, "acme", "popin_call_successful", "popin_server", "u2", "", "", `{"properties":{"call_duration":61}}`, ""},
	{2, "acme", "popin_user_captured", "popin_server", "u2", "", "", `{"properties":{}}`, ""},
	{2, "acme", "nudge_show", "browser", "u3", "a3", "s3", `{"uid":"u3"}`, ""},
	{2, "acme", "nudge_open", "browser", "u3", "a3", "s3", `{"uid":"u3"}`, ""},
	{2, "acme", "popin_permission_given", "browser", "u3", "a3", "s3", `{"uid":"u3"}`, ""},
	{2, "acme", "popin_expert_busy", "browser", "u3", "a3", "s3", `{"uid":"u3"}`, ""},
	{2, "acme", "nudge_show", "browser", "u4", "a4", "s4", `{"uid":"u4"}`, ""},
	{2, "acme", "popin_permission_denied", "browser", "u4", "a4", "s4", `{"uid":"u4"}`, ""},
	{2, "acme", "popin_call_missed", "browser", "u4", "a4", "s4", `{"uid":"u4"}`, ""},
	{2, "acme", "popin_captured", "browser", "u5", "a5", "s5", `{"uid":"u5"}`, ""},
	{2, "acme", "popin_call_missed", "popin_server", "u5", "", "", `{"properties":{}}`, ""},
	{2, "acme", "popin_user_captured", "popin_server", "u6", "", "", `{"properties":{}}`, ""},
	{1, "acme", "nudge_show", "browser", "", "a7", "s7", `{}`, ""},
	{1, "acme", "nudge_open", "browser", "", "a7", "s7", `{}`, ""},
	{1, "acme", "popin_screen_change", "browser", "", "a7", "s7", `{"screen":"schedule"}`, ""},
	{1, "other", "nudge_show", "browser", "u8", "a8", "s8", `{"uid":"u8"}`, ""},
	{40, "acme", "nudge_show", "browser", "old", "old", "old", `{}`, ""}, // outside the 30-day window
}

// want holds the expected rows per query title; D1/D2 stand for the dates.
var want = map[string][]string{
	"Widget funnel per day": {
		"D1 acme 4 3 2 2",
		"D2 acme 1 1 0 0",
		"D2 other 1 0 0 0",
	},
	"Camera and microphone permission: given vs denied": {
		"D1 acme 3 1 0.75",
	},
	"Experts-busy rate per session": {
		"D1 acme 5 2 0.4",
		"D2 acme 1 0 0",
		"D2 other 1 0 0",
	},
	"Leads per day": {
		"D1 acme 3 2 4",
	},
	"Delivery outcomes per endpoint per day": {
		"D1 crm 5 3 2 1",
		"D2 capi 1 1 1 0",
		"D0 slack 2 2 1 0",
	},
	"Screens reached": {
		"D1 acme home 2 2",
		"D1 acme call 1 1",
		"D2 acme schedule 1 1",
	},
}

func TestDocumentedQueries(t *testing.T) {
	cfg := chdb.NewDefaultConfig()
	cfg.Addr = chtest.Shared(t).Addr()
	cfg.Database = fmt.Sprintf("chquery_%d", os.Getpid())
	checkDocumentedQueries(t, cfg)
}

// TestDocumentedQueriesCluster runs every documented query, unchanged, on a
// cluster (clickhouse.cluster: one shard of two 18.16 replicas), through the
// replica the rows were not inserted through, with the same expected rows.
func TestDocumentedQueriesCluster(t *testing.T) {
	const cluster = "bridge_test"
	_, srvs := chtest.Cluster(t, cluster, 2)
	cfg := chdb.NewDefaultConfig()
	cfg.Addr, cfg.Cluster = srvs[0].Addr(), cluster
	cfg.Database = fmt.Sprintf("chquery_cluster_%d", os.Getpid())
	read := cfg
	read.Addr = srvs[1].Addr()
	checkDocumentedQueries(t, cfg, read)
}

// checkDocumentedQueries migrates and seeds the database of cfg and checks
// every query of docs/queries.md, then every statement of README.md's sql
// blocks, against the expected rows, run through read (cfg when not given).
func checkDocumentedQueries(t *testing.T, cfg chdb.Config, read ...chdb.Config) {
	t.Helper()
	md, err := os.ReadFile("../../docs/queries.md")
	if err != nil {
		t.Fatal(err)
	}
	queries := chquery.Parse(md)
	if len(queries) < 6 {
		t.Fatalf("found %d sql blocks in docs/queries.md, want at least 6", len(queries))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := chdb.Open(ctx, cfg, chdb.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	reader := db
	if len(read) > 0 {
		if reader, err = chdb.Open(ctx, read[0], chdb.Settings{}); err != nil {
			t.Fatal(err)
		}
		defer reader.Close()
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	insertSeeds(t, ctx, db, today)
	insertDeliverySeeds(t, ctx, db, today)
	insertDeliverySeeds(t, ctx, db, today) // a retried insert: the same rows again

	if reader != db {
		// The reader's replica has every row the inserts stored (through
		// the other replica) before the queries read it.
		for _, table := range []string{"events", "deliveries"} {
			if err := reader.Conn().Exec(ctx, "SYSTEM SYNC REPLICA "+reader.Table(reader.StorageTable(table))); err != nil {
				t.Fatal(err)
			}
		}
	}
	expect := map[string][]string{"Events per day by name": eventsPerDay(today, true)}
	for k, v := range want {
		expect[k] = v
	}
	d0, d1, d2 := today.Format(time.DateOnly), today.AddDate(0, 0, -2).Format(time.DateOnly), today.AddDate(0, 0, -1).Format(time.DateOnly)
	seen := map[string]bool{}
	for _, q := range queries {
		t.Run(q.Title, func(t *testing.T) {
			seen[q.Title] = true
			exp, ok := expect[q.Title]
			if !ok {
				t.Fatalf("no expected result for query %q; add one to this test", q.Title)
			}
			got, err := run(ctx, reader, q.SQL)
			if err != nil {
				t.Fatalf("%v\n%s", err, q.SQL)
			}
			var wantRows []string
			for _, r := range exp {
				wantRows = append(wantRows, strings.NewReplacer("D0", d0, "D1", d1, "D2", d2).Replace(r))
			}
			if strings.Join(got, "\n") != strings.Join(wantRows, "\n") {
				t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantRows, "\n"))
			}
		})
	}
	for title := range expect {
		if !seen[title] {
			t.Errorf("query %q is expected but not in docs/queries.md", title)
		}
	}
	checkReadmeQueries(t, ctx, reader, cfg.Database, today)
}

func insertSeeds(t *testing.T, ctx context.Context, db *chdb.DB, today time.Time) {
	t.Helper()
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO events (event_id, site_id, name, source, known, uid, aid, sid, client_ts, received_at, event_time, event_date, data)")
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range seeds {
		id := s.id
		if id == "" {
			id = fmt.Sprintf("ev-%d", i)
		}
		at := today.AddDate(0, 0, -s.day).Add(time.Duration(i) * time.Minute)
		if err := b.Append(id, s.site, s.name, s.source, uint8(1), s.uid, s.aid, s.sid, at, at, at, at.Truncate(24*time.Hour), s.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

type deliverySeed struct {
	day           int // days before today
	endpoint, id  string
	attempt, code int
	ok, test      bool
	state         string
}

// Delivery rows (D1 = two days ago): crm's d1 succeeds, d2 dies after two
// attempts, d3 succeeds on its second; t1 is a test send; capi's d4 on D2
// succeeds; d5 is outside the window; today (D0) slack's d6 succeeds and d7
// fails (README's last-24-hours query sees these).
var deliverySeeds = []deliverySeed{
	{2, "crm", "d1", 1, 200, true, false, "succeeded"},
	{2, "crm", "d2", 1, 500, false, false, "failed"},
	{2, "crm", "d2", 2, 503, false, false, "dead"},
	{2, "crm", "d3", 1, 503, false, false, "retrying"},
	{2, "crm", "d3", 2, 200, true, false, "succeeded"},
	{2, "crm", "t1", 1, 200, true, true, "test"},
	{1, "capi", "d4", 1, 200, true, false, "succeeded"},
	{40, "crm", "d5", 1, 200, true, false, "succeeded"},
	{0, "slack", "d6", 1, 200, true, false, "succeeded"},
	{0, "slack", "d7", 1, 500, false, false, "retrying"},
}

func insertDeliverySeeds(t *testing.T, ctx context.Context, db *chdb.DB, today time.Time) {
	t.Helper()
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO deliveries ("+chdb.DeliveriesColumns+")")
	if err != nil {
		t.Fatal(err)
	}
	u8 := func(v bool) uint8 {
		if v {
			return 1
		}
		return 0
	}
	for i, s := range deliverySeeds {
		at := deliverySeedTime(today, i, s)
		if err := b.Append(s.endpoint+"-"+s.id, "ev-"+s.id, s.endpoint, "acme", "popin_captured", "wh-"+s.id,
			uint32(s.attempt), uint16(s.code), u8(s.ok), uint32(10), "", at, time.Unix(0, 0), u8(s.test),
			"https://crm.example/h", "{}", "", "", s.state); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

// deliverySeedTime is when the i-th delivery seed s was attempted.
func deliverySeedTime(today time.Time, i int, s deliverySeed) time.Time {
	return today.AddDate(0, 0, -s.day).Add(time.Duration(i) * time.Minute)
}

// eventsPerDay computes the first query's expected rows from the seeds:
// distinct events per day and key (the site and name, or with bySite false
// the name alone: the README's query counts all sites together).
func eventsPerDay(today time.Time, bySite bool) []string {
	ids := map[string]map[string]bool{}
	for i, s := range seeds {
		if s.day > 30 {
			continue
		}
		id := s.id
		if id == "" {
			id = fmt.Sprint(i)
		}
		k := today.AddDate(0, 0, -s.day).Format(time.DateOnly) + " " + s.name
		if bySite {
			k = today.AddDate(0, 0, -s.day).Format(time.DateOnly) + " " + s.site + " " + s.name
		}
		if ids[k] == nil {
			ids[k] = map[string]bool{}
		}
		ids[k][id] = true
	}
	var out []string
	for k, v := range ids {
		out = append(out, fmt.Sprintf("%s %d", k, len(v)))
	}
	sort.Strings(out)
	return out
}

// run executes sql and renders each row as space-separated values.
func run(ctx context.Context, db *chdb.DB, sql string) ([]string, error) {
	rows, err := db.Conn().Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	var out []string
	for rows.Next() {
		vals := make([]any, len(types))
		for i, ct := range types {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			return nil, err
		}
		var cells []string
		for _, v := range vals {
			cells = append(cells, render(reflect.ValueOf(v).Elem().Interface()))
		}
		out = append(out, strings.Join(cells, " "))
	}
	return out, rows.Err()
}

func render(v any) string {
	switch x := v.(type) {
	case time.Time:
		if x.Equal(x.Truncate(24 * time.Hour)) {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.DateTime)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	default:
		return fmt.Sprint(x)
	}
}
