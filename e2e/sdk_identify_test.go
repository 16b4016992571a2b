package e2e

import (
	"testing"
	"time"
)

// TestSDKIdentify: PopinBridge.identify called through the stub before the
// SDK loaded stamps the identify event and the visitor's later events with
// ctx.user_id, on later pages too, and that reaches ClickHouse's user_id.
// A consent denying analytics storage removes the stored id (the next page
// does not stamp its events), and bridge stores events that deny analytics
// without visitor identifiers (README "Privacy", analytics_denied:
// anonymous), so their user_id is empty in ClickHouse; identify(null)
// forgets the id.
func TestSDKIdentify(t *testing.T) {
	browser := startChromium(t)
	site := startSite(t)
	ing := newSDKIngest(t)
	tb := openTab(t, browser)
	const stored = `localStorage.getItem('popinbridge:v1:user')`
	send := func(expr string) {
		t.Helper()
		eval[bool](tb, expr+`; true`)
		if !eval[bool](tb, `PopinBridge.flush()`) {
			t.Fatalf("%s: flush did not settle", expr)
		}
	}
	load := func(url string) {
		t.Helper()
		tb.navigate(url)
		tb.waitJS("window.PopinBridge && PopinBridge.v", 10*time.Second)
	}

	// Before the SDK loads (the page adds the tag later).
	load(site.page("identify-early", stubJS,
		`<script>PopinBridge.identify('crm-7',{plan:'gold'})</script>`, injectSDK(ing, "true")))
	send(`PopinBridge.track('on_first_page')`)
	if got := eval[string](tb, stored); got != "crm-7" {
		t.Errorf("stored user id %q, want crm-7", got)
	}

	// A later page, without identify.
	next := site.page("identify-next", localSDKTag(ing, ""))
	load(next)
	send(`PopinBridge.track('on_next_page')`)
	send(`PopinBridge.consent({analytics_storage:'denied'}); PopinBridge.track('after_denial')`)
	if got := eval[*string](tb, stored); got != nil {
		t.Errorf("user id still stored after the denial: %q", *got)
	}

	load(next)
	send(`PopinBridge.track('page_after_denial')`)
	send(`PopinBridge.identify('crm-8'); PopinBridge.track('identified_while_denied')`)
	if got := eval[*string](tb, stored); got != nil {
		t.Errorf("user id stored while denied: %q", *got)
	}
	send(`PopinBridge.identify(null); PopinBridge.track('forgotten')`)

	got := waitReceived(t, ing, map[string]int{"identify": 2, "on_first_page": 1, "on_next_page": 1, "after_denial": 1,
		"page_after_denial": 1, "identified_while_denied": 1, "forgotten": 1}, 30*time.Second)
	want := map[string]string{"on_first_page": "crm-7", "on_next_page": "crm-7", "after_denial": "",
		"page_after_denial": "", "identified_while_denied": "", "forgotten": ""}
	ids := map[string]bool{}
	for _, e := range got {
		if e.Name == "identify" {
			ids[e.UserID] = true
			continue
		}
		if e.UserID != want[e.Name] {
			t.Errorf("%s: user_id %q, want %q", e.Name, e.UserID, want[e.Name])
		}
	}
	if !ids["crm-7"] || ids["crm-8"] {
		t.Errorf("identify events carry user ids %v, want crm-7 and not crm-8 (sent while analytics was denied)", ids)
	}
	checkNoPageErrors(t, tb)
}
