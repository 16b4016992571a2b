package controlplane

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// summaryEvents: known traffic of site acme in [T0, T0+7d), its first row
// stored twice by the fixture, plus rows outside the range or of another
// site. Browser events have session "s-"+uid; server ones none.
func summaryEvents() []aev {
	t := func(d time.Duration) time.Time { return analyticsT0.Add(d) }
	google, letter := [3]string{"google", "cpc", "spring"}, [3]string{"newsletter", "email", ""}
	b := func(id, name, uid string, at time.Time) aev {
		return aev{id: id, site: "acme", name: name, uid: uid, at: at, sid: "s-" + uid}
	}
	srv := func(id, name, uid string, at time.Time) aev {
		return aev{id: id, site: "acme", name: name, uid: uid, at: at, source: "popin_server", sid: "-"}
	}
	lead := func(id, uid string, at time.Time, utm [3]string, url string) aev {
		e := b(id, "popin_captured", uid, at)
		e.utm, e.url = utm, url
		return e
	}
	data := func(e aev, d string) aev { e.data = d; return e }
	evs := []aev{
		lead("c3", "u3", t(49*time.Hour), letter, "https://www.acme.com/"), // stored twice
		// 01:00 UTC = 06:30 in Kolkata on the 10th; 20:00 UTC = 01:30 on the 11th there.
		lead("c1", "u1", t(time.Hour), google, "https://www.acme.com/pricing?plan=pro"),
		lead("c2", "u2", t(20*time.Hour), google, "https://www.acme.com/pricing#form"),
		b("p1", "popin_permission_given", "u1", t(time.Hour)),
		b("p2", "popin_permission_given", "u2", t(time.Hour)),
		b("p3", "popin_permission_given", "u3", t(time.Hour)),
		b("p4", "popin_permission_denied", "u4", t(time.Hour)),
		b("x1", "popin_expert_busy", "u4", t(2*time.Hour)),
		b("x2", "popin_call_missed", "u5", t(2*time.Hour)), // the browser alias: busy, not a call
		srv("k1", "popin_call_successful", "u1", t(3*time.Hour)),
		srv("k2", "popin_call_successful", "u2", t(3*time.Hour)),
		srv("k3", "popin_call_missed", "u6", t(3*time.Hour)),
		srv("k4", "popin_call_abandoned", "u7", t(3*time.Hour)),
		data(b("r1", "popin_rating_done", "u1", t(4*time.Hour)), `{"uid":"u1","rating":5}`),
		data(b("r2", "popin_rating_done", "u2", t(4*time.Hour)), `{"uid":"u2","rating":"4"}`),
		data(b("r3", "popin_rating_done", "u3", t(4*time.Hour)), `{"uid":"u3","rating":5,"comment":"ok"}`),
		data(b("s1", "popin_screen_change", "u1", t(5*time.Hour)), `{"uid":"u1","screen":"form"}`),
		data(b("s2", "popin_screen_change", "u1", t(6*time.Hour)), `{"uid":"u1","screen":"form"}`),
		data(b("s3", "popin_screen_change", "u2", t(5*time.Hour)), `{"uid":"u2","screen":"form"}`),
		data(b("s4", "popin_screen_change", "u1", t(7*time.Hour)), `{"uid":"u1","screen":"call_waiting"}`),
		// Not counted: after the range, before it, another site.
		lead("c4", "u8", t(8*24*time.Hour), google, "https://www.acme.com/pricing"),
		data(b("r4", "popin_rating_done", "u8", t(-time.Hour)), `{"uid":"u8","rating":1}`),
		{id: "o1", site: "other", name: "popin_captured", uid: "u1", at: t(time.Hour), sid: "s-u1", utm: google},
	}
	return evs
}

func TestAnalyticsSummary(t *testing.T) {
	f := analyticsFixture(t, summaryEvents(), 0)
	r := func(n, d float64) *float64 { x := n / d; return &x }
	common := Summary{
		Events: []NameCount{{"popin_screen_change", 4}, {"popin_captured", 3}, {"popin_permission_given", 3},
			{"popin_rating_done", 3}, {"popin_call_missed", 2}, {"popin_call_successful", 2}, {"popin_call_abandoned", 1},
			{"popin_expert_busy", 1}, {"popin_permission_denied", 1}},
		Permission:  Permission{Given: 3, Denied: 1, GivenRate: r(3, 4)},
		ExpertsBusy: ExpertsBusy{Sessions: 5, BusySessions: 2, BusyRate: r(2, 5)},
		Calls:       Calls{Successful: 2, Missed: 1, Abandoned: 1},
		Ratings:     []RatingCount{{4, 1}, {5, 2}},
		Screens:     []ScreenCount{{"form", 2, 3}, {"call_waiting", 1, 1}},
		LeadsByUTM:  []UTMCount{{"google", "cpc", "spring", 2}, {"newsletter", "email", "", 1}},
		LeadsByPage: []PageCount{{"https://www.acme.com/pricing", 2}, {"https://www.acme.com/", 1}},
	}
	days := func(from string, n int, leads map[string]uint64) []DayCount {
		d0, _ := time.Parse("2006-01-02", from)
		var out []DayCount
		for i := range n {
			d := d0.AddDate(0, 0, i).Format("2006-01-02")
			out = append(out, DayCount{d, leads[d]})
		}
		return out
	}
	// Every permission answer is at 01:00 UTC on the 10th (06:30 in Kolkata).
	perm := func(days []DayCount) []DayPermission {
		var out []DayPermission
		for _, d := range days {
			p := DayPermission{Day: d.Day}
			if d.Day == "2026-03-10" {
				p.Given, p.Denied, p.GivenRate = 3, 1, r(3, 4)
			}
			out = append(out, p)
		}
		return out
	}
	for _, tc := range []struct {
		tz   string
		days []DayCount
	}{
		{"", days("2026-03-10", 7, map[string]uint64{"2026-03-10": 2, "2026-03-12": 1})},
		{"Asia/Kolkata", days("2026-03-10", 8, map[string]uint64{"2026-03-10": 1, "2026-03-11": 1, "2026-03-12": 1})},
	} {
		t.Run("tz="+tc.tz, func(t *testing.T) {
			q := rangeQuery("")
			if tc.tz != "" {
				q = rangeQuery("tz=" + tc.tz)
			}
			st, body := f.do("GET", "/api/v1/analytics/summary?"+q, nil)
			if st != 200 {
				t.Fatalf("%d %v", st, body)
			}
			var got Summary
			raw, _ := json.Marshal(body)
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			want := common
			want.Site, want.From, want.To, want.TZ = "acme", analyticsT0, analyticsT0.Add(7*24*time.Hour), "UTC"
			if tc.tz != "" {
				want.TZ = tc.tz
			}
			want.LeadsPerDay, want.PermissionPerDay = tc.days, perm(tc.days)
			if !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(want, "", " ")
				t.Fatalf("got\n%s\nwant\n%s", g, w)
			}
		})
	}
}

// TestAnalyticsSummaryEmpty: a site without events answers zeros, empty
// lists and null rates.
func TestAnalyticsSummaryEmpty(t *testing.T) {
	f := analyticsFixture(t, summaryEvents(), 0)
	st, body := f.do("GET", "/api/v1/analytics/summary?site=acme&from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z", nil)
	if st != 200 {
		t.Fatalf("%d %v", st, body)
	}
	for _, k := range []string{"events", "ratings", "screens", "leads_by_utm", "leads_by_page"} {
		if l, ok := body[k].([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %v, want []", k, body[k])
		}
	}
	for _, k := range []string{"leads_per_day", "permission_per_day"} {
		if d, _ := body[k].([]any); len(d) != 1 {
			t.Errorf("%s = %v, want one day", k, body[k])
		}
	}
	if p, _ := body["permission"].(map[string]any); p["given_rate"] != nil {
		t.Errorf("permission = %v, want a null rate", p)
	}
}
