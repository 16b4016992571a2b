package controlplane

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
)

// aev is one events row of the analytics tests.
type aev struct {
	id, site, name, uid, aid string
	at                       time.Time
	source, sid, data, url   string
	utm                      [3]string // source, medium, campaign
}

func insertAnalyticsEvents(t *testing.T, db *chdb.DB, evs []aev) {
	t.Helper()
	ctx := context.Background()
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO "+db.Table("events")+" ("+chtest.SyntheticEventColumns+")")
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range evs {
		src, data, sid := e.source, e.data, e.sid
		if src == "" {
			src = "browser"
		}
		if data == "" {
			data = `{"uid":"` + e.uid + `"}`
		}
		if sid == "" {
			sid = "s-" + e.uid + e.aid
		}
		day := time.Date(e.at.Year(), e.at.Month(), e.at.Day(), 0, 0, 0, 0, time.UTC)
		if err := b.Append(e.id, e.site, e.name, src, uint8(1), e.uid, e.aid, sid, int64(i), e.at, e.at, e.at, day,
			e.url, "", "", e.utm[0], e.utm[1], e.utm[2], "", "", "", "", "FR", "", "UA", data); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

// analyticsT0 is the start of the tests' range [T0, T0+7d).
var analyticsT0 = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

// funnelEvents: visitors dropping out at known steps, plus rows that must
// not count.
func funnelEvents() []aev {
	t := func(d time.Duration) time.Time { return analyticsT0.Add(d) }
	var evs []aev
	add := func(site, uid, aid string, at time.Time, names ...string) {
		for i, n := range names {
			evs = append(evs, aev{id: site + uid + aid + n, site: site, name: n, uid: uid, aid: aid, at: at.Add(time.Duration(i) * time.Minute)})
		}
	}
	add("acme", "u1", "", t(time.Hour), DefaultFunnelSteps...)                                                           // whole funnel
	add("acme", "u2", "", t(2*time.Hour), "nudge_show", "nudge_open", "popin_widget_open")                               // stops at 3
	add("acme", "u3", "", t(3*time.Hour), "nudge_show", "popin_widget_open", "popin_permission_given", "popin_captured") // skips nudge_open
	add("acme", "u4", "", t(4*time.Hour), "nudge_open", "nudge_show")                                                    // out of order: 1
	evs = append(evs, aev{id: "u5s", site: "acme", name: "nudge_show", uid: "u5", at: t(5 * time.Hour)},                 // same second: 2
		aev{id: "u5o", site: "acme", name: "nudge_open", uid: "u5", at: t(5 * time.Hour)})
	add("acme", "u6", "", t(-time.Hour), "nudge_show")              // before the range …
	add("acme", "u6", "", t(time.Hour), "nudge_open")               // … so this is no step
	add("acme", "u7", "", t(8*24*time.Hour), DefaultFunnelSteps...) // after the range
	add("acme", "", "a8", t(6*time.Hour), "nudge_show")             // anonymous visitor
	add("other", "u9", "", t(time.Hour), DefaultFunnelSteps...)     // another site
	return evs
}

// analyticsFixture stores evs, then a second copy of evs[dup] (read-once).
func analyticsFixture(t *testing.T, evs []aev, dup int) *fixture {
	t.Helper()
	db := openHistory(t)
	insertAnalyticsEvents(t, db, evs)
	insertAnalyticsEvents(t, db, evs[dup:dup+1])
	f := newFixture(t, func(_ *Config, s *Settings) { s.Analytics = NewClickHouseAnalytics(db) })
	f.mustSite("acme")
	f.mustSite("other")
	return f
}

func rangeQuery(extra string) string {
	q := "site=acme&from=" + url.QueryEscape(analyticsT0.Format(time.RFC3339)) +
		"&to=" + url.QueryEscape(analyticsT0.Add(7*24*time.Hour).Format(time.RFC3339))
	if extra != "" {
		q += "&" + extra
	}
	return q
}

func funnelCounts(t *testing.T, body map[string]any) map[string]float64 {
	t.Helper()
	var f Funnel
	raw, _ := json.Marshal(body)
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	var names []string
	for _, s := range f.Steps {
		out[s.Name] = float64(s.Visitors)
		names = append(names, s.Name)
	}
	out["#order:"+strings.Join(names, ",")] = 1
	return out
}

func TestAnalyticsFunnel(t *testing.T) {
	f := analyticsFixture(t, funnelEvents(), 1) // u1's nudge_open twice
	for _, tc := range []struct {
		name, query string
		want        map[string]float64
	}{
		{"default steps", rangeQuery(""), map[string]float64{
			"#order:" + strings.Join(DefaultFunnelSteps, ","): 1,
			"nudge_show": 6, "nudge_open": 3, "popin_widget_open": 2, "popin_permission_given": 1,
			"popin_captured": 1, "popin_call_end": 1}},
		{"custom steps", rangeQuery("steps=nudge_show,popin_captured"), map[string]float64{
			"#order:nudge_show,popin_captured": 1, "nudge_show": 6, "popin_captured": 2}},
		{"other site", strings.Replace(rangeQuery("steps=nudge_show,popin_call_end"), "site=acme", "site=other", 1),
			map[string]float64{"#order:nudge_show,popin_call_end": 1, "nudge_show": 1, "popin_call_end": 1}},
		{"time zone does not change the funnel", rangeQuery("tz=Asia/Kolkata&steps=nudge_show"),
			map[string]float64{"#order:nudge_show": 1, "nudge_show": 6}},
		{"unknown step", rangeQuery("steps=nudge_show,no_such_event"),
			map[string]float64{"#order:nudge_show,no_such_event": 1, "nudge_show": 6, "no_such_event": 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body := f.do("GET", "/api/v1/analytics/funnel?"+tc.query, nil)
			if st != 200 {
				t.Fatalf("%d %v", st, body)
			}
			if got := funnelCounts(t, body); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAnalyticsFunnelDefaultRange: without from/to the range is the last 7
// days before now.
func TestAnalyticsFunnelDefaultRange(t *testing.T) {
	f := analyticsFixture(t, funnelEvents(), 1) // u1's nudge_open twice
	f.nowMu.Lock()
	*f.now = analyticsT0.Add(7 * 24 * time.Hour)
	f.nowMu.Unlock()
	st, body := f.do("GET", "/api/v1/analytics/funnel?site=acme&steps=nudge_show", nil)
	if st != 200 {
		t.Fatalf("%d %v", st, body)
	}
	if got := funnelCounts(t, body)["nudge_show"]; got != 6 {
		t.Fatalf("nudge_show = %v, want 6 (%v)", got, body)
	}
	if body["from"] != analyticsT0.Format(time.RFC3339) || body["tz"] != "UTC" {
		t.Fatalf("from %v tz %v", body["from"], body["tz"])
	}
}

func TestAnalyticsParameterErrors(t *testing.T) {
	f := newFixture(t, func(_ *Config, s *Settings) { s.Analytics = &ClickHouseAnalytics{} })
	f.mustSite("acme")
	var many []string
	for i := range 21 {
		many = append(many, "s"+string(rune('a'+i)))
	}
	steps21 := strings.Join(many, ",")
	for _, tc := range []struct{ name, query, field string }{
		{"no site", "from=2026-03-01T00:00:00Z", "site"},
		{"unknown site", "site=nope", "site"},
		{"from not RFC 3339", "site=acme&from=2026-03-01", "from"},
		{"to not RFC 3339", "site=acme&to=yesterday", "to"},
		{"to before from", "site=acme&from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "to"},
		{"to equals from", "site=acme&from=2026-03-02T00:00:00Z&to=2026-03-02T00:00:00Z", "to"},
		{"range too long", "site=acme&from=2025-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "to"},
		{"before 1970", "site=acme&from=1969-12-31T00:00:00Z&to=1970-01-02T00:00:00Z", "from"},
		{"unknown tz", "site=acme&tz=Mars/Olympus", "tz"},
		{"tz Local", "site=acme&tz=Local", "tz"},
		{"tz path", "site=acme&tz=../etc/passwd", "tz"},
		{"empty steps", "site=acme&steps=", "steps"},
		{"empty step", "site=acme&steps=nudge_show,,nudge_open", "steps"},
		{"repeated step", "site=acme&steps=nudge_show,nudge_show", "steps"},
		{"bad step", "site=acme&steps=nudge_show,x'y", "steps"},
		{"too many steps", "site=acme&steps=" + steps21, "steps"},
	} {
		for _, p := range []string{"funnel", "summary"} {
			if p == "summary" && tc.field == "steps" {
				continue
			}
			t.Run(p+"/"+tc.name, func(t *testing.T) {
				st, body := f.do("GET", "/api/v1/analytics/"+p+"?"+tc.query, nil)
				if st != 422 || errField(body) != tc.field || errCode(body) != "invalid" {
					t.Fatalf("%d %v, want 422 naming %s", st, body, tc.field)
				}
			})
		}
	}
}

func TestAnalyticsUnavailable(t *testing.T) {
	f := newFixture(t)
	f.mustSite("acme")
	for _, p := range []string{"/api/v1/analytics/funnel?site=acme", "/api/v1/analytics/summary?site=acme"} {
		if st, body := f.do("GET", p, nil); st != 503 || errCode(body) != "unavailable" {
			t.Fatalf("%s: %d %v, want 503", p, st, body)
		}
	}
}
