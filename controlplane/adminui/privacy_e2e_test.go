package adminui_test

import (
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// privacySteps: edit a site's consent mode, analytics-denied storage and
// retention; see a suppressed attempt as suppressed, not failed; request an
// erasure and see it listed, polled until done, with no identifier shown.
func privacySteps(b *browser) {
	t := b.t

	// Site consent and retention.
	b.step("privacy site", chromedp.Navigate(b.app+"/admin/#/sites"), chromedp.WaitVisible(chromedp.CSS(`button[aria-label="Edit site acme"]`)),
		chromedp.Click(chromedp.CSS(`button[aria-label="Edit site acme"]`)), chromedp.WaitVisible(chromedp.CSS(`#edit-site`)))
	b.step("edit privacy", choose(`form.edit select[name=consent_mode]`, "opt_out"), choose(`form.edit select[name=analytics_denied]`, "drop"),
		chromedp.SetValue(chromedp.CSS(`form.edit input[name="retention.events_days"]`), "30"),
		chromedp.SetValue(chromedp.CSS(`form.edit input[name="retention.delivery_bodies_days"]`), "0"),
		chromedp.Click(chromedp.CSS(`form.edit button[type=submit]`)))
	b.waitText("privacy saved", "[role=status]", "Site acme saved.")
	b.waitText("retention listed", "tbody td", "events 30 d, attempts global, bodies forever")
	s := b.apiJSON("/api/v1/sites/acme")
	if s["consent_mode"] != "opt_out" || s["analytics_denied"] != "drop" || asJSON(s["retention"]) != `{"delivery_bodies_days":0,"events_days":30}` {
		t.Fatalf("site after privacy edit: %v", s)
	}
	// Emptying a class returns it to the global retention.
	b.step("retention back to global", chromedp.Click(chromedp.CSS(`button[aria-label="Edit site acme"]`)), chromedp.WaitVisible(chromedp.CSS(`#edit-site`)))
	b.waitJS("retention starts from stored", `document.querySelector('form.edit input[name="retention.events_days"]').value === "30"`)
	b.step("clear events days", chromedp.SetValue(chromedp.CSS(`form.edit input[name="retention.events_days"]`), ""),
		chromedp.Click(chromedp.CSS(`form.edit button[type=submit]`)))
	b.waitText("retention global", "tbody td", "events global, attempts global, bodies forever")
	if r := asJSON(b.apiJSON("/api/v1/sites/acme")["retention"]); r != `{"delivery_bodies_days":0}` {
		t.Fatalf("retention after clearing events_days: %s", r)
	}

	// A suppressed delivery is a muted badge with its reason, never a failure, never retried.
	b.insert("crm", []logged{{delivery: "dsup", attempt: 1, at: time.Now(), state: "suppressed", site: "acme", err: "consent: ads denied by the visitor"}})
	b.step("suppressed attempts", chromedp.Navigate(b.app+"/admin/#/endpoints/crm"), chromedp.WaitVisible(chromedp.CSS(`form[aria-label="Filter attempts"]`)))
	b.waitText("suppressed shown", `tr.suppressed .badge.suppressed`, "suppressed: ads denied by the visitor")
	b.waitJS("suppressed not failed", `(() => { const r = document.querySelector('tr[data-delivery="dsup"]');
		return r && !r.classList.contains("failed") && r.querySelector('button[aria-label="Retry dsup"]').disabled && !r.textContent.includes("Failed"); })()`)
	b.shot("adminui-suppressed")

	// Erasure: requested, listed, polled until done; the identifier is not kept on screen.
	b.step("erasures", chromedp.Navigate(b.app+"/admin/#/erasures"), chromedp.WaitVisible(chromedp.CSS(`#erase-h`)))
	b.waitText("no requests yet", "caption", "No erasure requests yet.")
	b.waitJS("every control named", unlabelled+`.length === 0`)
	b.step("request erasure", choose(`select[name=site]`, "acme"), choose(`select[name=kind]`, "email"),
		chromedp.SendKeys(chromedp.CSS(`input[name=value]`), "asha@example.com"), chromedp.Click(chromedp.CSS(`form button[type=submit]`)))
	b.waitText("erasure requested", "[role=status]", "requested: pending")
	b.waitText("erasure done", "tbody .badge.erasure", "done")
	b.waitJS("identifier cleared", `document.querySelector("input[name=value]").value === "" && !document.querySelector("main").textContent.includes("asha")`)
	list := apiGet(t, b.app+"/api/v1/erasures?site=acme", b.token)
	if !strings.Contains(list, `"status":"done"`) || !strings.Contains(list, `"kind":"email"`) || strings.Contains(list, "asha") {
		t.Fatalf("erasure list: %s", list)
	}
	b.shot("adminui-erasures")
}
