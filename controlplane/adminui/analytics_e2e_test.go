package adminui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/popinbridge/bridge/controlplane"
	"github.com/popinbridge/bridge/controlplane/adminui"
	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/testkit"
)

// The browser's time zone in this test: the page asks for per-day buckets
// in it, and the test computes its days in it too.
const browserTZ = "Asia/Kolkata"

// synth is one synthetic event of the analytics test.
type synth struct {
	site, name, uid, source, data string
	at                            time.Time
	utm                           [3]string
	url                           string
}

// analyticsTraffic is known traffic relative to today's midnight in loc:
// in the last 7 days 9 visitors see the nudge and drop out at known steps;
// 2 more complete the funnel 12 days ago (30-day range only); one visitor
// 40 days ago is in no range; site beta has one visitor.
func analyticsTraffic(loc *time.Location, now time.Time) []synth {
	n := now.In(loc)
	day := func(k int) time.Time { return time.Date(n.Year(), n.Month(), n.Day()-k, 12, 0, 0, 0, loc) }
	steps := []string{"nudge_show", "nudge_open", "popin_widget_open", "popin_permission_given", "popin_captured", "popin_call_end"}
	var evs []synth
	walk := func(site, uid string, at time.Time, names ...string) {
		for i, name := range names {
			e := synth{site: site, name: name, uid: uid, at: at.Add(time.Duration(i) * time.Minute), url: "https://www.acme.com/"}
			if name == "popin_captured" {
				e.url = "https://www.acme.com/pricing?plan=pro"
				if uid == "v1" || uid == "v2" {
					e.utm = [3]string{"google", "cpc", "spring"}
				}
			}
			evs = append(evs, e)
		}
	}
	for _, v := range []string{"v1", "v2", "v3", "v4"} {
		walk("acme", v, day(1), steps...)
	}
	walk("acme", "v5", day(3), "nudge_show", "nudge_open", "popin_widget_open", "popin_permission_denied")
	walk("acme", "v6", day(3), "nudge_show", "nudge_open", "popin_widget_open")
	for _, v := range []string{"v7", "v8", "v9"} {
		walk("acme", v, day(3), "nudge_show")
	}
	walk("acme", "v10", day(12), steps...)
	walk("acme", "v11", day(12), steps...)
	walk("acme", "v12", day(40), steps...)
	walk("beta", "b1", day(2), "nudge_show", "nudge_open")
	for i, outcome := range []string{"popin_call_successful", "popin_call_successful", "popin_call_successful", "popin_call_missed"} {
		evs = append(evs, synth{site: "acme", name: outcome, uid: fmt.Sprintf("v%d", i+1), source: "popin_server", at: day(1).Add(time.Hour)})
	}
	for uid, r := range map[string]int{"v1": 5, "v2": 5, "v3": 4} {
		evs = append(evs, synth{site: "acme", name: "popin_rating_done", uid: uid, at: day(1).Add(2 * time.Hour), data: fmt.Sprintf(`{"rating":%d}`, r)})
	}
	for uid, scr := range map[string]string{"v1": "form", "v2": "form", "v3": "call_waiting"} {
		evs = append(evs, synth{site: "acme", name: "popin_screen_change", uid: uid, at: day(1).Add(3 * time.Hour), data: `{"screen":"` + scr + `"}`})
	}
	return evs
}

func insertSynth(t *testing.T, db *chdb.DB, evs []synth) {
	t.Helper()
	ctx := context.Background()
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO "+db.Table("events")+" ("+chtest.SyntheticEventColumns+")")
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range evs {
		src, sid, data := e.source, "s-"+e.uid, e.data
		if src == "" {
			src = "browser"
		}
		if data == "" {
			data = "{}"
		}
		at := e.at.UTC()
		d := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
		if err := b.Append(fmt.Sprintf("ev-%d", i), e.site, e.name, src, uint8(1), e.uid, "", sid, int64(i), at, at, at, d,
			e.url, "", "", e.utm[0], e.utm[1], e.utm[2], "", "", "", "", "IN", "", "UA", data); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

func TestAnalyticsPageInChromium(t *testing.T) {
	needChromium(t)
	loc, err := time.LoadLocation(browserTZ)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := migratedDB(t, "adminui_analytics")
	insertSynth(t, db, analyticsTraffic(loc, time.Now()))

	const token = "e2e-admin-token-0123456789"
	m, err := controlplane.New(controlplane.NewDefaultConfig(), controlplane.Settings{
		AdminToken: token, MasterKey: bytes.Repeat([]byte{1}, 32), NATS: natsrv.Fixed(natstest.JetStream(t)),
		Sites: site.NewStatic(nil), Engine: &chEngine{db: db}, History: controlplane.NewClickHouseHistory(db),
		Analytics: controlplane.NewClickHouseAnalytics(db),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Seed(ctx, []site.Site{{ID: "acme", WriteKey: "pk_acme"}, {ID: "beta", WriteKey: "pk_beta"}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", m.Handler())
	mux.Handle("/admin/", adminui.Handler("/admin/"))
	app := httptest.NewServer(mux)
	defer app.Close()

	bctx, stopChromium := startChromium(t, "about:blank")
	defer stopChromium()

	// Console errors and uncaught exceptions, from now on.
	var (
		consoleMu sync.Mutex
		console   []string
	)
	cctx, ccancel := context.WithCancel(bctx)
	defer ccancel()
	messages := chromedp.Console(cctx)
	go func() {
		for msg, err := range messages {
			if err != nil {
				return
			}
			if (msg.Type == chromedp.ConsoleError || msg.IsException()) && !strings.Contains(msg.URL+msg.Text, "favicon") {
				consoleMu.Lock()
				console = append(console, msg.String())
				consoleMu.Unlock()
			}
		}
	}()
	consoleErrors := func() []string {
		consoleMu.Lock()
		defer consoleMu.Unlock()
		return append([]string(nil), console...)
	}

	step := stepper(t, bctx)
	eval := func(js string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 10*time.Second)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Evaluate[string]("JSON.stringify("+js+")"))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return s
	}
	// waitJSON polls until the JSON of js equals want's.
	waitJSON := func(name, js string, want any) {
		t.Helper()
		w, _ := json.Marshal(want)
		sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		cond := fmt.Sprintf(`JSON.stringify(%s) === %q`, js, string(w))
		if _, err := chromedp.Run(sctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
			shot(t, bctx, "failed-"+strings.ReplaceAll(name, " ", "-"))
			t.Fatalf("%s: got %s, want %s (console: %v)", name, eval(js), w, consoleErrors())
		}
	}
	values := func(sel string) string {
		return fmt.Sprintf(`[...document.querySelectorAll(%q)].map(e => +e.getAttribute("data-value"))`, sel)
	}
	texts := func(sel string) string {
		return fmt.Sprintf(`[...document.querySelectorAll(%q)].map(e => e.textContent)`, sel)
	}

	// Positive control: the console collector sees an error the page writes.
	step("console control", chromedp.Evaluate[chromedp.Void](`console.error("control-error")`))
	testkit.Eventually(t, 10*time.Second, func() error {
		if n := len(consoleErrors()); n != 1 {
			return fmt.Errorf("%d console errors collected, want the control's", n)
		}
		return nil
	})
	consoleMu.Lock()
	console = nil
	consoleMu.Unlock()

	// Sign in and open the analytics page of acme, last 7 days.
	step("time zone", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: browserTZ})
		return err
	}))
	step("sign in", chromedp.Navigate(app.URL+"/admin/"), chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=token]`), token), chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-ep`)))
	step("open analytics", chromedp.Click(chromedp.Search(`//nav//a[text()="Analytics"]`)), chromedp.WaitVisible(chromedp.CSS(`#funnel svg`)))

	// What the test computes from analyticsTraffic.
	type view struct {
		funnel, leads, calls, ratings []int
		notes                         []string
		utm                           [][]string
	}
	pctOf := func(a, b int) string {
		return fmt.Sprintf("%s%% of previous", strings.TrimSuffix(fmt.Sprintf("%.1f", float64(a)*100/float64(b)), ".0"))
	}
	notes := func(f []int) []string {
		out := []string{fmt.Sprint(f[0])}
		for i := 1; i < len(f); i++ {
			out = append(out, fmt.Sprintf("%d · %s", f[i], pctOf(f[i], f[i-1])))
		}
		return out
	}
	leadsPerDay := func(days, leadsAt1, leadsAt12 int) []int {
		out := make([]int, days) // oldest first; the last is today
		out[days-2] = leadsAt1
		if days > 12 {
			out[days-13] = leadsAt12
		}
		return out
	}
	week := view{
		funnel: []int{9, 6, 6, 4, 4, 4}, leads: leadsPerDay(7, 4, 0), calls: []int{3, 1, 0}, ratings: []int{1, 2},
		utm: [][]string{{"—", "—", "—", "2"}, {"google", "cpc", "spring", "2"}}, // ties: by source
	}
	week.notes = notes(week.funnel)
	check := func(name string, v view) {
		t.Helper()
		waitJSON(name+" funnel", values(`#funnel svg rect.bar`), v.funnel)
		waitJSON(name+" funnel labels", texts(`#funnel svg text.value`), v.notes)
		waitJSON(name+" leads per day", values(`#leads svg rect.bar`), v.leads)
		waitJSON(name+" calls", values(`#calls svg rect.bar`), v.calls)
		waitJSON(name+" ratings", values(`#ratings svg rect.bar`), v.ratings)
		waitJSON(name+" utm", `[...document.querySelectorAll("#utm tbody tr")].map(r => [...r.children].map(c => c.textContent))`, v.utm)
	}
	check("7 days", week)
	waitJSON("permission line", `document.querySelectorAll("#permission svg circle.point").length`, 2) // days with answers
	waitJSON("screens", texts(`#screens svg text.label`), []string{"form", "call_waiting"})
	waitJSON("legend", texts(`#calls ul.legend li`), []string{"Successful", "Missed", "Abandoned"})
	waitJSON("axis ticks", `document.querySelectorAll("#leads svg .axis.y text.tick").length > 1`, true)
	path := filepath.Join(outputDir(t), "adminui-analytics.png")
	shotTo(t, bctx, path)
	t.Logf("screenshot: %s", path)

	// Keyboard: the range picker moves to "Last 30 days" with an arrow key.
	step("30 days", chromedp.Focus(chromedp.CSS(`select[name=range]`)), chromedp.KeyEvent(kb.ArrowDown))
	month := view{funnel: []int{11, 8, 8, 6, 6, 6}, leads: leadsPerDay(30, 4, 2), calls: []int{3, 1, 0}, ratings: []int{1, 2},
		utm: [][]string{{"—", "—", "—", "4"}, {"google", "cpc", "spring", "2"}}}
	month.notes = notes(month.funnel)
	check("30 days", month)
	if !strings.Contains(eval(`location.hash`), "range=30d") {
		t.Fatalf("hash %s does not keep the range", eval(`location.hash`))
	}

	// Another site: one visitor, no leads, calls or ratings.
	step("site beta", chromedp.Focus(chromedp.CSS(`select[name=site]`)), chromedp.KeyEvent(kb.ArrowDown))
	waitJSON("beta funnel", values(`#funnel svg rect.bar`), []int{1, 1, 0, 0, 0, 0})
	waitJSON("beta empty states", texts(`#leads p.empty, #calls p.empty, #ratings p.empty`),
		[]string{"No leads in this range.", "No calls in this range.", "No ratings in this range."})

	// A custom range without events says so.
	old := time.Now().In(loc).AddDate(0, 0, -100).Format("2006-01-02")
	step("custom range", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const r = document.querySelector("select[name=range]"); r.value = "custom"; r.dispatchEvent(new Event("change"));
		document.querySelector("input[name=from]").value = %q; document.querySelector("input[name=to]").value = %q;
		document.querySelector("form.controls button[type=submit]").click(); })()`, old, old)))
	waitJSON("no events", texts(`#no-events`), []string{"No events in this range."})

	// At 375 px the page fits without sideways scrolling.
	step("narrow", chromedp.EmulateViewport(375, 900, chromedp.EmulateMobile),
		chromedp.Navigate(app.URL+"/admin/#/analytics?site=acme&range=7d"), chromedp.WaitVisible(chromedp.CSS(`#funnel svg`)))
	check("narrow", week)
	waitJSON("no overflow", `document.documentElement.scrollWidth <= 375`, true)
	shotTo(t, bctx, filepath.Join(outputDir(t), "adminui-analytics-375.png"))
	step("wide", chromedp.EmulateViewport(1280, 1400))

	// Share a read-only link; opened in a fresh session it shows acme's
	// analytics and offers nothing else.
	step("share", chromedp.Click(chromedp.CSS(`#share`)), chromedp.WaitVisible(chromedp.CSS(`#share-link`)))
	link := strings.Trim(eval(`document.querySelector("#share-link").textContent`), `"`)
	if !strings.Contains(link, "token=brt_") {
		t.Fatalf("share link %q", link)
	}
	step("open link", chromedp.Evaluate[chromedp.Void](`sessionStorage.clear()`), chromedp.Navigate("about:blank"),
		chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#funnel svg`)))
	check("read-only", week)
	waitJSON("read-only nav", texts(`nav a`), []string{"Analytics"})
	waitJSON("token not in the address bar", `location.hash.includes("token=")`, false)
	waitJSON("only its site", texts(`select[name=site] option`), []string{"acme"})
	waitJSON("no share button", `document.querySelector("#share") === null`, true)

	if errs := consoleErrors(); len(errs) > 0 {
		t.Fatalf("console errors: %v", errs)
	}
}
