package chretention_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chretention"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/testkit"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chtest.StopShared()
	os.Exit(code)
}

var (
	quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
	now   = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
)

func days(n int) *int { return &n }

func openDB(t *testing.T) *chdb.DB {
	t.Helper()
	cfg := chdb.NewDefaultConfig()
	cfg.Addr, cfg.Database = chtest.Shared(t).Addr(), chtest.DatabaseName("retention")
	return chtest.MigratedDB(t, cfg, chdb.Settings{})
}

// row stores an event of siteID dated ago days before now, with one
// delivery attempt (with bodies) made at the same time; it returns its id.
func row(t *testing.T, db *chdb.DB, siteID string, ago int) string {
	t.Helper()
	return rowIn(t, db, "", siteID, ago)
}

// rowIn is row writing to the tables events<suffix> and
// deliveries<suffix> (chdb.LocalSuffix: a cluster node's own tables).
func rowIn(t *testing.T, db *chdb.DB, suffix, siteID string, ago int) string {
	t.Helper()
	id := fmt.Sprintf("%s-%d", siteID, ago)
	at := now.AddDate(0, 0, -ago)
	day := at.Truncate(24 * time.Hour)
	ctx := context.Background()
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO "+db.Table("events"+suffix)+" ("+chtest.SyntheticEventColumns+")")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append(id, siteID, "nudge_show", "browser", uint8(1), "u", "a", "s", int64(1), at, at, at, day,
		"", "", "", "", "", "", "", "", "", "", "", "", "", "{}"); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	d, err := db.Conn().PrepareBatch(ctx, "INSERT INTO "+db.Table("deliveries"+suffix)+" ("+chdb.DeliveriesColumns+")")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Append("d-"+id, id, "crm", siteID, "nudge_show", "w", uint32(1), uint16(200), uint8(1), uint32(1), "",
		at, time.Unix(0, 0).UTC(), uint8(0), "https://crm/", "{}", `{"a":1}`, "ok", "succeeded"); err != nil {
		t.Fatal(err)
	}
	if err := d.Send(); err != nil {
		t.Fatal(err)
	}
	return id
}

func count(t *testing.T, db *chdb.DB, sql string) uint64 {
	t.Helper()
	var n uint64
	if err := db.Conn().QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func pass(t *testing.T, db *chdb.DB, cfg chretention.Config, sites ...site.Site) {
	t.Helper()
	r, err := chretention.New(cfg, chretention.Settings{DB: func() *chdb.DB { return db }, Sites: site.NewStatic(sites),
		Logger: quiet, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Pass(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 30*time.Second, func() error {
		if n := count(t, db, "SELECT count() FROM system.mutations WHERE database = '"+db.Database()+"' AND is_done = 0"); n > 0 {
			return fmt.Errorf("%d mutations running", n)
		}
		return nil
	})
}

// Retention removes what is older than configured and nothing newer: per
// site (an override shorter, one forever), the global default for the rest
// (also rows of sites no longer configured); delivery rows and delivery
// bodies each by their own retention.
func TestRetentionPerSite(t *testing.T) {
	db := openDB(t)
	type want struct {
		id               string
		event, del, body bool // kept
	}
	var cases []want
	add := func(siteID string, ago int, event, del, body bool) {
		cases = append(cases, want{row(t, db, siteID, ago), event, del, body})
	}
	add("short", 8, false, true, true)   // events 7 days
	add("short", 7, true, true, true)    // the cutoff day itself is kept
	add("dflt", 31, false, true, false)  // events 30 days (global), bodies 20 days
	add("dflt", 30, true, true, false)   //
	add("dflt", 20, true, true, true)    //
	add("dflt", 61, false, false, false) // deliveries 60 days
	add("forever", 400, true, false, false)
	add("gone", 31, false, true, false) // a site no longer configured follows the global retention
	if count(t, db, "SELECT count() FROM "+db.Table("events")) != uint64(len(cases)) {
		t.Fatal("fixture rows missing")
	}
	cfg := chretention.NewDefaultConfig()
	cfg.EventsDays, cfg.DeliveriesDays, cfg.DeliveryBodiesDays = 30, 60, 20
	pass(t, db, cfg,
		site.Site{ID: "short", WriteKey: "k1", Retention: site.Retention{EventsDays: days(7)}},
		site.Site{ID: "dflt", WriteKey: "k2"},
		site.Site{ID: "forever", WriteKey: "k3", Retention: site.Retention{EventsDays: days(0)}})
	for _, c := range cases {
		ev := count(t, db, "SELECT count() FROM "+db.Table("events")+" WHERE event_id = '"+c.id+"'") == 1
		del := count(t, db, "SELECT count() FROM "+db.Table("deliveries")+" WHERE event_id = '"+c.id+"'") == 1
		body := count(t, db, "SELECT count() FROM "+db.Table("deliveries")+" WHERE event_id = '"+c.id+"' AND request_body != ''") == 1
		if ev != c.event || del != c.del || body != c.body {
			t.Errorf("%s: event kept %v, delivery kept %v, body kept %v; want %v %v %v", c.id, ev, del, body, c.event, c.del, c.body)
		}
	}
}

// When every site has a retention, whole months older than the longest
// are dropped as partitions; the month holding the cutoff is not.
func TestRetentionDropsOldPartitions(t *testing.T) {
	db := openDB(t)
	old := row(t, db, "a", 100) // August 2026
	kept := row(t, db, "a", 40) // October 2026: holds rows newer than the cutoff's month start
	parts := func() uint64 {
		return count(t, db, "SELECT count(DISTINCT partition) FROM system.parts WHERE database = '"+db.Database()+"' AND table = 'events' AND active")
	}
	if parts() != 2 {
		t.Fatalf("%d partitions, want 2", parts())
	}
	cfg := chretention.NewDefaultConfig()
	cfg.EventsDays = 60
	pass(t, db, cfg, site.Site{ID: "a", WriteKey: "k"})
	if parts() != 1 || count(t, db, "SELECT count() FROM "+db.Table("events")+" WHERE event_id = '"+kept+"'") != 1 ||
		count(t, db, "SELECT count() FROM "+db.Table("events")+" WHERE event_id = '"+old+"'") != 0 {
		t.Fatalf("after the pass: %d partitions; want the August one dropped and October's row kept", parts())
	}
}

func TestShutdown(t *testing.T) {
	testkit.CheckShutdown(t, func(t *testing.T) testkit.Part {
		r, err := chretention.New(chretention.NewDefaultConfig(), chretention.Settings{DB: func() *chdb.DB { return nil },
			Sites: site.NewStatic(nil), Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		return r
	})
}
