package e2e

// Browser tests of the widget SDK in headless Chromium: the popinEvent hook
// in every load order, the inline stub, a throwing site handler, leaving the
// page right after a burst, a server outage, and two tabs sharing one
// outbox. Each test checks that every event arrived exactly once by id (the
// wire may carry an id twice; the server deduplicates), that the site's
// handler saw every call with the same arguments and this, and that the page
// had no uncaught errors.

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

// popinNames are the 14 browser events the simulated widget fires, once each.
var popinNames = []string{
	"nudge_show", "nudge_open", "popin_widget_open", "popin_screen_change",
	"popin_permission_denied", "popin_permission_given", "popin_expert_busy",
	"popin_captured", "popin_auto_captured", "popin_schedule_created",
	"popin_call_end", "popin_rating_done", "popin_widget_close", "nudge_close",
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// handlerCheckJS answers "" when the site's handler saw exactly the calls
// the widget made, with the same data object, this and argument count.
const handlerCheckJS = `(function(){var s=window.seen||[],f=fakePopin.sent;
if(s.length!==f.length)return 'site handler saw '+s.length+' of '+f.length+' calls';
for(var i=0;i<s.length;i++){if(s[i][0]!==f[i][0])return 'call '+i+': name '+s[i][0]+' != '+f[i][0];
if(s[i][1]!==f[i][1])return 'call '+i+' ('+f[i][0]+'): other data object';
if(s[i][2]!==f[i][2])return 'call '+i+' ('+f[i][0]+'): other this';
if(s[i][3]!==2)return 'call '+i+': '+s[i][3]+' arguments'}return ''})()`

// waitReceived waits until the ingest holds at least n distinct event ids,
// then checks that it holds exactly the wanted names (each name times its
// count) and returns the events.
func waitReceived(t *testing.T, ing sdkIngest, want map[string]int, timeout time.Duration) map[string]receivedEvent {
	t.Helper()
	n := 0
	for _, c := range want {
		n += c
	}
	var got map[string]receivedEvent
	testkit.Eventually(t, timeout, func() error {
		if got = ing.Received(); len(got) < n {
			return fmt.Errorf("%d of %d events arrived: %v", len(got), n, namesOf(got))
		}
		return nil
	})
	have := map[string]int{}
	for _, e := range got {
		have[e.Name]++
	}
	for name, c := range want {
		if have[name] != c {
			t.Errorf("event %s arrived under %d distinct ids, want %d", name, have[name], c)
		}
	}
	for name, c := range have {
		if want[name] == 0 {
			t.Errorf("unexpected event %s (%d)", name, c)
		}
	}
	for id, e := range got {
		if !uuidV4.MatchString(id) {
			t.Errorf("event %s has id %q, not a lowercase UUID v4", e.Name, id)
		}
	}
	return got
}

func namesOf(m map[string]receivedEvent) string {
	var l []string
	for _, e := range m {
		l = append(l, e.Name)
	}
	sort.Strings(l)
	return strings.Join(l, ",")
}

// times returns want with every popin name k times, plus extra.
func times(k int, extra ...string) map[string]int {
	m := map[string]int{}
	for _, n := range popinNames {
		m[n] = k
	}
	for _, n := range extra {
		m[n]++
	}
	return m
}

// duplicates counts the ids that came over the wire more than once.
func duplicates(got map[string]receivedEvent) (n int, via []string) {
	for _, e := range got {
		if e.Count > 1 {
			n++
			via = append(via, e.Name+":"+strings.Join(e.Via, "+"))
		}
	}
	return n, via
}

func checkHandler(t *testing.T, tb *tab) {
	t.Helper()
	if msg := eval[string](tb, handlerCheckJS); msg != "" {
		t.Error(msg)
	}
}

func checkNoPageErrors(t *testing.T, tb *tab) {
	t.Helper()
	if errs := tb.pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}

func fire(tb *tab) {
	tb.t.Helper()
	if n := eval[int](tb, "fakePopin.fire()"); n != len(popinNames) {
		tb.t.Fatalf("fired %d events", n)
	}
}

func TestSDKLoadOrders(t *testing.T) {
	browser := startChromium(t)
	site := startSite(t)
	cases := []struct {
		name  string
		parts func(ing sdkIngest) []string
	}{
		{"site handler, then sdk, then widget", func(ing sdkIngest) []string { return []string{customerJS, sdkTag(ing, ""), widgetJS} }},
		{"sdk, then site handler, then widget", func(ing sdkIngest) []string { return []string{sdkTag(ing, ""), customerJS, widgetJS} }},
		{"widget, then sdk, then site handler", func(ing sdkIngest) []string { return []string{widgetJS, sdkTag(ing, ""), customerJS} }},
		{"widget, then site handler, then async sdk", func(ing sdkIngest) []string { return []string{widgetJS, customerJS, sdkTag(ing, "async")} }},
		{"site handler replaced after sdk", func(ing sdkIngest) []string {
			return []string{`<script>window.popinEvent=function(){throw new Error('old handler must not be called')}</script>`, sdkTag(ing, ""), customerJS, widgetJS}
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ing := newSDKIngest(t)
			tb := openTab(t, browser)
			tb.navigate(site.page(fmt.Sprintf("order%d", i), tc.parts(ing)...))
			tb.waitJS("window.PopinBridge && window.fakePopin", 10*time.Second)
			fire(tb)
			got := waitReceived(t, ing, times(1), 15*time.Second)
			checkHandler(t, tb)
			checkNoPageErrors(t, tb)
			for _, e := range got {
				if e.Src != "" {
					t.Errorf("%s: src %q, want none for a captured Popin event", e.Name, e.Src)
				}
			}
		})
	}
}

// TestSDKEventContents checks what one event carries: data, seq, ids, ctx
// (UTM, fbp, fbc built from fbclid with its case kept, consent), the custom
// marker of track/identify, and the Meta Pixel call with our event id.
func TestSDKEventContents(t *testing.T) {
	browser := startChromium(t)
	site := startSite(t)
	// Event contents are the SDK's business: check them as they come over
	// the wire, before any server-side processing.
	ing := startFakeIngest(t)
	tb := openTab(t, browser)
	url := site.page("contents",
		`<script>document.cookie='_fbp=fb.1.1700000000000.123456789;path=/';window.fbqCalls=[];window.fbq=function(){fbqCalls.push([].slice.call(arguments))};window.ttqCalls=[];window.ttq={track:function(){ttqCalls.push([].slice.call(arguments))}}</script>`,
		customerJS, sdkTag(ing, `data-pixel-dedup="true"`), widgetJS)
	tb.navigate(url + "?utm_source=facebook&utm_medium=paid&utm_campaign=Diwali%20Sale&fbclid=IwAR3xYz_AbC-dEf&other=1")
	tb.waitJS("window.PopinBridge && window.fakePopin", 10*time.Second)
	eval[bool](tb, `PopinBridge.consent({ads:true,analytics:'GRANTED',functional:'yes'}); PopinBridge.identify('user-42',{plan:'gold'}); PopinBridge.track('add_to_cart',{sku:'A1',price:49900}); true`)
	fire(tb)
	got := waitReceived(t, ing, times(1, "identify", "add_to_cart"), 15*time.Second)
	checkHandler(t, tb)
	checkNoPageErrors(t, tb)

	var captured receivedEvent
	var capturedID string
	seqs := map[int64]bool{}
	for id, e := range got {
		seqs[e.Seq] = true
		if e.Name == "popin_captured" {
			captured, capturedID = e, id
		}
		wantSrc := ""
		if e.Name == "identify" || e.Name == "add_to_cart" {
			wantSrc = "custom"
		}
		if e.Src != wantSrc {
			t.Errorf("%s: src %q, want %q", e.Name, e.Src, wantSrc)
		}
		if e.Sid == "" || e.Aid == "" {
			t.Errorf("%s: sid %q aid %q", e.Name, e.Sid, e.Aid)
		}
	}
	if len(seqs) != len(got) || !seqs[1] || !seqs[int64(len(got))] {
		t.Errorf("seq values %v, want 1..%d", seqs, len(got))
	}
	if got := string(captured.Data); !strings.Contains(got, `"email":"asha@example.com"`) || !strings.Contains(got, `"country":"+91"`) {
		t.Errorf("popin_captured data %s", got)
	}
	ctx := string(captured.Ctx)
	for _, want := range []string{
		`"utm":{"utm_source":"facebook","utm_medium":"paid","utm_campaign":"Diwali Sale"}`,
		`"fbp":"fb.1.1700000000000.123456789"`,
		`.IwAR3xYz_AbC-dEf"`,
		`"fbc":"fb.1.`,
		`"consent":{"ads":true,"analytics":true}`,
		`"title":"Acme contents"`,
		`fbclid=IwAR3xYz_AbC-dEf`,
	} {
		if !strings.Contains(ctx, want) {
			t.Errorf("ctx lacks %s: %s", want, ctx)
		}
	}
	// Pixel dedup: Lead for popin_captured with our id as eventID.
	calls := eval[string](tb, `JSON.stringify(fbqCalls)`)
	if want := `["track","Lead",{},{"eventID":"` + capturedID + `"}]`; !strings.Contains(calls, want) {
		t.Errorf("fbq calls %s lack %s", calls, want)
	}
	for _, ev := range []string{"Schedule", "Contact"} {
		if !strings.Contains(calls, `"`+ev+`"`) {
			t.Errorf("fbq calls %s lack %s", calls, ev)
		}
	}
	// The TikTok pixel gets the same id as event_id, under TikTok's name.
	tcalls := eval[string](tb, `JSON.stringify(ttqCalls)`)
	if want := `["SubmitForm",{},{"event_id":"` + capturedID + `"}]`; !strings.Contains(tcalls, want) {
		t.Errorf("ttq calls %s lack %s", tcalls, want)
	}

	// A rejected event leaves the outbox and is never sent again, also not
	// by the next page load.
	eval[bool](tb, `PopinBridge.track('reject_me',{}); true`)
	if ok := eval[bool](tb, `PopinBridge.flush()`); !ok {
		t.Fatal("flush did not settle")
	}
	if p := eval[int](tb, `PopinBridge.stats().pending`); p != 0 {
		t.Errorf("%d events pending after flush", p)
	}
	tb.navigate(url)
	tb.waitJS("window.PopinBridge", 10*time.Second)
	// Adoption removes from storage what it takes, so once no stored outbox
	// holds the rejected event, the new page has nothing of it left to
	// adopt; flushing then sends whatever it did adopt, and a control event
	// proves that the new page sends at all.
	tb.waitJS(`!Object.keys(localStorage).some(k => (localStorage.getItem(k) || '').includes('reject_me'))`, 10*time.Second)
	eval[bool](tb, `PopinBridge.track('after_reload',{}); true`)
	if ok := eval[bool](tb, `PopinBridge.flush()`); !ok {
		t.Fatal("flush did not settle")
	}
	sent := map[string]int{}
	for _, e := range ing.Received() {
		sent[e.Name] += e.Count
	}
	if sent["after_reload"] != 1 {
		t.Errorf("control event after the reload sent %d times, want 1", sent["after_reload"])
	}
	if sent["reject_me"] != 1 {
		t.Errorf("rejected event sent %d times, want 1", sent["reject_me"])
	}
}

// TestSDKStubQueue: the widget fires everything before the SDK has loaded.
func TestSDKStubQueue(t *testing.T) {
	browser := startChromium(t)
	site := startSite(t)
	const firedAll = "window.fakePopin && fakePopin.fired >= 14"
	// Without crypto.randomUUID the SDK builds ids from getRandomValues.
	const noRandomUUID = `<script>delete Crypto.prototype.randomUUID</script>`
	cases := []struct {
		name    string
		parts   func(ing sdkIngest) []string
		handler bool // the site's handler is on the page
		again   bool // fire a second round after the SDK loaded
	}{
		{"accessor stub, site handler after it", func(ing sdkIngest) []string {
			return []string{noRandomUUID, stubJS, customerJS, popinSnippetJS, injectSDK(ing, firedAll)}
		}, true, true},
		{"site handler, then accessor stub", func(ing sdkIngest) []string {
			return []string{customerJS, stubJS, popinSnippetJS, injectSDK(ing, firedAll)}
		}, true, false},
		{"plain stub, no site handler", func(ing sdkIngest) []string {
			return []string{plainStubJS, popinSnippetJS, injectSDK(ing, firedAll)}
		}, false, true},
		{"widget keeps the stub it found", func(ing sdkIngest) []string {
			return []string{`<script>window.fakePopinCache=true</script>`, stubJS, customerJS, popinSnippetJS, injectSDK(ing, firedAll)}
		}, true, true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ing := newSDKIngest(t)
			tb := openTab(t, browser)
			tb.navigate(site.page(fmt.Sprintf("stub%d", i), tc.parts(ing)...))
			tb.waitJS("window.PopinBridge", 10*time.Second)
			rounds := 1
			if tc.again {
				fire(tb)
				rounds = 2
			}
			waitReceived(t, ing, times(rounds), 15*time.Second)
			if tc.handler {
				checkHandler(t, tb)
			}
			checkNoPageErrors(t, tb)
		})
	}
}

// TestSDKSiteHandlerThrows: the site's handler throws on every call; capture
// goes on and the only page errors are the handler's own.
func TestSDKSiteHandlerThrows(t *testing.T) {
	browser := startChromium(t)
	site := startSite(t)
	ing := newSDKIngest(t)
	tb := openTab(t, browser)
	tb.navigate(site.page("throws", sdkTag(ing, ""), customerJS, `<script>window.customerThrows=true</script>`, widgetJS))
	tb.waitJS("window.PopinBridge && window.fakePopin", 10*time.Second)
	fire(tb)
	waitReceived(t, ing, times(1), 15*time.Second)
	checkHandler(t, tb)
	errs := tb.pageErrors()
	if len(errs) != len(popinNames) {
		t.Errorf("%d page errors, want the handler's %d: %q", len(errs), len(popinNames), errs)
	}
	for _, e := range errs {
		if !strings.Contains(e, "customer handler boom") {
			t.Errorf("page error not from the site's handler: %s", e)
		}
	}
}

// TestSDKNavigateAwayAfterBurst: 14 events and, in the same task, the visitor
// leaves for a page without the SDK. What the socket got out or the pagehide
// keepalive request must deliver all of them; with WebSockets blocked only
// the keepalive request can.
func TestSDKNavigateAwayAfterBurst(t *testing.T) {
	browser := startChromium(t)
	site := startSite(t)
	for i, blocked := range []bool{false, true} {
		t.Run(fmt.Sprintf("websocket blocked=%v", blocked), func(t *testing.T) {
			var ing sdkIngest
			if blocked {
				f := startFakeIngest(t) // needs the in-process server's knobs
				f.set(func(f *fakeIngest) { f.blockWS = true })
				ing = f
			} else {
				ing = newSDKIngest(t)
			}
			tb := openTab(t, browser)
			tb.navigate(site.page(fmt.Sprintf("burst%d", i), sdkTag(ing, ""), customerJS, widgetJS))
			tb.waitJS("window.PopinBridge && window.fakePopin", 10*time.Second)
			eval[bool](tb, `fakePopin.fire({burst:true}); location.href='/blank'; true`)
			got := waitReceived(t, ing, times(1), 15*time.Second)
			vias := map[string]int{}
			for _, e := range got {
				vias[strings.Join(e.Via, "+")]++
			}
			n, _ := duplicates(got)
			t.Logf("delivered %d events by %v; %d ids twice on the wire", len(got), vias, n)
			if blocked && vias["http"] != len(got) {
				t.Errorf("with WebSockets blocked, want every event once by HTTP, got %v", vias)
			}
			tb.waitJS(`location.pathname=='/blank'`, 5*time.Second)
			checkNoPageErrors(t, tb)
		})
	}
}

// TestSDKServerOutage: the server goes away while the page fires events and
// comes back (the open page resends); then it goes away again, the visitor
// leaves, and the next page load resends from the outbox.
func TestSDKServerOutage(t *testing.T) {
	browser := startChromium(t)
	site := startSite(t)
	ing := newSDKIngest(t)
	tb := openTab(t, browser)
	url := site.page("outage", localSDKTag(ing, ""), customerJS, widgetJS)
	tb.navigate(url)
	tb.waitJS("window.PopinBridge && window.fakePopin", 10*time.Second)
	eval[bool](tb, `PopinBridge.track('warmup',{}); true`)
	if !eval[bool](tb, `PopinBridge.flush()`) {
		t.Fatal("warmup not acked")
	}

	// 1. Outage while the page stays open.
	ing.Stop(t)
	fire(tb)
	tb.waitJS(`PopinBridge.stats().pending == 14`, 5*time.Second)
	time.Sleep(2 * time.Second) // a few failed reconnects
	ing.Start(t)
	waitReceived(t, ing, times(1, "warmup"), 40*time.Second)

	// 2. Outage, and the visitor leaves before it ends.
	ing.Stop(t)
	fire(tb)
	tb.waitJS(`PopinBridge.stats().pending == 14`, 5*time.Second)
	checkHandler(t, tb)
	tb.navigate(site.srv.URL + "/blank")
	ing.Start(t)
	tb.navigate(url)
	tb.waitJS("window.PopinBridge", 10*time.Second)
	got := waitReceived(t, ing, times(2, "warmup"), 40*time.Second)
	n, via := duplicates(got)
	t.Logf("%d ids twice on the wire %v", n, via)
	checkNoPageErrors(t, tb)
}

// TestSDKTwoTabs: a page leaves undelivered events in the outbox while the
// server is down; two tabs of the site open at once and both see them. Only
// one may adopt and send them; each tab also sends its own events.
func TestSDKTwoTabs(t *testing.T) {
	browser := startChromium(t)
	site := startSite(t)
	ing := newSDKIngest(t)
	url := site.page("tabs", localSDKTag(ing, ""), customerJS, widgetJS)

	first := openTab(t, browser)
	first.navigate(url)
	first.waitJS("window.PopinBridge && window.fakePopin", 10*time.Second)
	// The SDK stores nothing before the server told it the site's consent
	// mode (issue 10.5): a first exchange, then the outage.
	eval[bool](first, `PopinBridge.track('warmup',{}); true`)
	if !eval[bool](first, `PopinBridge.flush()`) {
		t.Fatal("warmup not acked")
	}
	ing.Stop(t)
	fire(first)
	first.waitJS(`PopinBridge.stats().pending == 14`, 5*time.Second)
	first.navigate(site.srv.URL + "/blank")

	tabs := []*tab{openTab(t, browser), openTab(t, browser)}
	var wg sync.WaitGroup
	for _, tb := range tabs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tb.navigate(url)
		}()
	}
	wg.Wait()
	for _, tb := range tabs {
		tb.waitJS("window.PopinBridge && window.fakePopin", 10*time.Second)
		fire(tb)
	}
	// Both tabs have run their adoption; exactly one holds the old events.
	testkit.Eventually(t, 5*time.Second, func() error {
		a := eval[int](tabs[0], `PopinBridge.stats().pending`)
		b := eval[int](tabs[1], `PopinBridge.stats().pending`)
		if a+b != 42 || (a != 28 && b != 28) {
			return fmt.Errorf("pending: %d and %d, want 28+14", a, b)
		}
		return nil
	})
	ing.Start(t)
	got := waitReceived(t, ing, times(3, "warmup"), 40*time.Second)
	if n, via := duplicates(got); n > 0 {
		t.Errorf("%d ids sent twice: %v", n, via)
	}
	for _, tb := range tabs {
		checkHandler(t, tb)
		checkNoPageErrors(t, tb)
	}
}

// TestSDKReadmeStub keeps the stub the tests use identical to the one the
// README tells sites to paste.
func TestSDKReadmeStub(t *testing.T) {
	readme, err := os.ReadFile("../widget-sdk/README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), stubJS) {
		t.Error("widget-sdk/README.md does not contain the stub of e2e/sdk_pages_test.go (stubJS); keep them identical")
	}
}

// TestSDKServerPushback drives the retry paths with the in-process server's
// knobs: retry hints over the WebSocket, WebSockets blocked (HTTP fallback),
// HTTP 503, and the outbox cap.
func TestSDKServerPushback(t *testing.T) {
	browser := startChromium(t)
	site := startSite(t)
	fake := startFakeIngest // these cases need the in-process server's knobs
	t.Run("retry hint and close 1013 over WebSocket", func(t *testing.T) {
		ing := fake(t)
		ing.set(func(f *fakeIngest) { f.retryFrames = 2 })
		tb := openTab(t, browser)
		tb.navigate(site.page("retry", sdkTag(ing, ""), customerJS, widgetJS))
		tb.waitJS("window.PopinBridge && window.fakePopin", 10*time.Second)
		fire(tb)
		got := waitReceived(t, ing, times(1), 20*time.Second)
		if ing.pushed() != 2 {
			t.Errorf("server pushed back %d frames, want 2", ing.pushed())
		}
		for _, e := range got {
			if e.Via[0] != "ws" {
				t.Errorf("%s came by %v", e.Name, e.Via)
			}
		}
		checkNoPageErrors(t, tb)
	})
	t.Run("WebSocket blocked, HTTP with 503s", func(t *testing.T) {
		ing := fake(t)
		ing.set(func(f *fakeIngest) { f.blockWS, f.busyPosts = true, 2 })
		tb := openTab(t, browser)
		tb.navigate(site.page("blocked", sdkTag(ing, ""), customerJS, widgetJS))
		tb.waitJS("window.PopinBridge && window.fakePopin", 10*time.Second)
		fire(tb)
		got := waitReceived(t, ing, times(1), 30*time.Second)
		for _, e := range got {
			if e.Via[len(e.Via)-1] != "http" {
				t.Errorf("%s came by %v", e.Name, e.Via)
			}
		}
		if ing.pushed() != 2 {
			t.Errorf("server answered 503 %d times, want 2", ing.pushed())
		}
		if !eval[bool](tb, `PopinBridge.stats().http == 1`) {
			t.Error("SDK did not switch to HTTP")
		}
		checkNoPageErrors(t, tb)
	})
	t.Run("outbox keeps the newest 500", func(t *testing.T) {
		ing := fake(t)
		tb := openTab(t, browser)
		tb.navigate(site.page("cap", sdkTag(ing, ""), customerJS, widgetJS))
		tb.waitJS("window.PopinBridge", 10*time.Second)
		ing.Stop(t)
		eval[bool](tb, `for (var i = 1; i <= 600; i++) PopinBridge.track('bulk', {i: i}); true`)
		if s := eval[string](tb, `JSON.stringify(PopinBridge.stats())`); !strings.Contains(s, `"pending":500,"dropped":100`) {
			t.Errorf("stats %s, want 500 pending and 100 dropped", s)
		}
		ing.Start(t)
		got := waitReceived(t, ing, map[string]int{"bulk": 500}, 40*time.Second)
		for _, e := range got {
			if e.Seq <= 100 {
				t.Errorf("event seq %d arrived: the oldest 100 should have been dropped", e.Seq)
				break
			}
		}
		checkNoPageErrors(t, tb)
	})
}
