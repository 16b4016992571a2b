package adminui_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// browser is what TestAdminUIInChromium's steps need, signed in.
type browser struct {
	t        *testing.T
	app      string // base URL of the bridge
	token    string
	receiver string // URL of a receiver answering 204
	step     func(name string, steps ...chromedp.Action[chromedp.Void])
	waitText func(name, sel, want string)
	waitJS   func(name, js string)
	shot     func(name string)
	eng      *chEngine
	insert   func(endpoint string, rows []logged) // into the delivery log
}

// js runs a statement in the page (setting a select and firing change, as a
// user choosing an option does).
func js(src string) chromedp.Action[chromedp.Void] { return chromedp.Evaluate[chromedp.Void](src) }

func choose(sel, value string) chromedp.Action[chromedp.Void] {
	return js(fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, sel, value))
}

// apiEndpoint reads an endpoint through the API.
func (b *browser) apiJSON(path string) map[string]any {
	b.t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(apiGet(b.t, b.app+path, b.token)), &m); err != nil {
		b.t.Fatalf("%s: %v", path, err)
	}
	return m
}

func asJSON(v any) string {
	out, _ := json.Marshal(v)
	return string(out)
}

// unlabelled lists the form controls of the page without an accessible
// name (label, aria-label, or a button's text): each must be reachable and
// named for keyboard and screen-reader users.
const unlabelled = `[...document.querySelectorAll("main input, main select, main textarea, main button")].filter(e =>
	!(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !(e.tagName === "BUTTON" && e.textContent.trim())).map(e => e.outerHTML.slice(0, 80))`

// productSteps: create a Conversions API endpoint and a webhook from a CRM
// preset with a previewed template and a custom header, send a test, edit
// in place, edit a site, change the health window, and fit at 375 px.
func productSteps(b *browser) {
	t := b.t
	b.step("endpoints page", chromedp.Navigate(b.app+"/admin/#/endpoints"), chromedp.WaitVisible(chromedp.CSS(`#new-ep`)))
	b.waitJS("every control named", unlabelled+`.length === 0`)

	// A Conversions API endpoint from the form: its fields replace the webhook's.
	b.step("capi type", choose(`select[name=type]`, "facebook_capi"), chromedp.WaitVisible(chromedp.CSS(`input[name=pixel_id]`)))
	b.waitJS("webhook fields gone", `!document.querySelector("#new-ep ~ div input[name=url]") && !document.querySelector("select[name=preset]").checkVisibility()`)
	b.step("capi fields",
		chromedp.SendKeys(chromedp.CSS(`input[name=id]`), "meta"),
		chromedp.SendKeys(chromedp.CSS(`input[name=pixel_id]`), "123456789012"),
		chromedp.SendKeys(chromedp.CSS(`input[name=access_token]`), "EAAB-not-a-real-token"),
		chromedp.SendKeys(chromedp.CSS(`input[name=test_event_code]`), "TEST42"),
		chromedp.SetValue(chromedp.CSS(`textarea[name=event_map]`), "popin_captured = Lead\nnudge_show ="),
		chromedp.Click(chromedp.CSS(`details.advanced summary`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=rate_limit]`), "5"),
		chromedp.Click(chromedp.CSS(`#new-ep ~ button[type=submit]`)))
	b.waitText("capi created", "[role=status]", "Created meta")
	b.waitText("capi listed", "tbody td", "Conversions API · pixel 123456789012")
	capi := b.apiJSON("/api/v1/endpoints/meta")
	if capi["type"] != "facebook_capi" || capi["test_event_code"] != "TEST42" || capi["has_access_token"] != true || capi["rate_limit"] != 5.0 ||
		asJSON(capi["event_map"]) != `{"nudge_show":"","popin_captured":"Lead"}` || asJSON(capi["consent"]) != `["ads"]` || capi["access_token"] != nil {
		t.Fatalf("created Conversions API endpoint: %v", capi)
	}

	// A webhook from the HubSpot preset: the template previews against the
	// catalog sample; a plain custom header is added.
	b.step("webhook type", chromedp.Navigate(b.app+"/admin/#/sites"), chromedp.Navigate(b.app+"/admin/#/endpoints"), chromedp.WaitVisible(chromedp.CSS(`select[name=preset]`)),
		choose(`select[name=preset]`, "hubspot"), chromedp.Click(chromedp.Search(`//button[text()="Apply preset"]`)))
	b.waitJS("preset applied", `document.querySelector("textarea[name=template]").value.includes("objectTypeId") && document.querySelector("select[name=auth]").value === "none"
		&& document.querySelector("input[name=url]").placeholder.includes("api.hsforms.com") && document.activeElement.name === "url"`)
	b.waitText("preset note", "p.note", "PORTAL_ID and FORM_GUID")
	b.step("preview", chromedp.Click(chromedp.Search(`//button[text()="Preview body"]`)))
	b.waitText("preview rendered", `pre[aria-label="Rendered body"]`, `"pageUri": "https://bridge.invalid/test"`)
	b.waitText("preview values", `pre[aria-label="Rendered body"]`, `"objectTypeId": "0-1"`)
	b.step("bad template", chromedp.SetValue(chromedp.CSS(`textarea[name=template]`), `{"a": "{{.data.email"}`), chromedp.Click(chromedp.Search(`//button[text()="Preview body"]`)))
	b.waitText("template error", ".template-editor .status.error", "template")
	b.step("preset again", chromedp.Click(chromedp.Search(`//button[text()="Apply preset"]`)),
		chromedp.Click(chromedp.Search(`//button[text()="Add header"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=header_name]`), "X-Tenant"),
		chromedp.SendKeys(chromedp.CSS(`input[name=header_value]`), "acme"),
		chromedp.Click(chromedp.CSS(`input[name=header_plain]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=id]`), "hubspot"),
		chromedp.SendKeys(chromedp.CSS(`input[name=url]`), b.receiver+"/hubspot"))
	b.shot("adminui-new-endpoint")
	b.step("create webhook", chromedp.Click(chromedp.CSS(`#new-ep ~ button[type=submit]`)))
	b.waitText("webhook created", "[role=status]", "Created hubspot")
	b.waitText("webhook listed", "tbody th a", "hubspot")
	hub := b.apiJSON("/api/v1/endpoints/hubspot")
	if hub["auth"] != "none" || !strings.Contains(fmt.Sprint(hub["template"]), "objectTypeId") || asJSON(hub["headers"]) != `{"X-Tenant":"acme"}` ||
		asJSON(hub["plain_headers"]) != `["X-Tenant"]` || asJSON(hub["events"]) != `["popin_captured"]` {
		t.Fatalf("created webhook: %v", hub)
	}

	// Send a test and see it in the list; then edit in place, Advanced included.
	b.step("open hubspot", chromedp.Navigate(b.app+"/admin/#/endpoints/hubspot"), chromedp.WaitVisible(chromedp.Search(`//button[text()="Send test"]`)),
		chromedp.Click(chromedp.Search(`//button[text()="Send test"]`)))
	b.waitText("hubspot test", "[role=status]", "Test delivered: 204")
	b.waitText("hubspot attempt listed", "tbody tr:not(.pending)", "popin_captured (test)")
	b.step("edit hubspot", chromedp.Click(chromedp.Search(`//button[text()="Edit"]`)), chromedp.WaitVisible(chromedp.CSS(`form.edit textarea[name=template]`)))
	b.waitJS("edit starts from stored", `document.querySelector("form.edit input[name=header_value]").value === "acme" && document.querySelector("form.edit select[name=auth]").value === "none"`)
	b.step("edit fields", chromedp.Click(chromedp.CSS(`form.edit details.advanced summary`)),
		chromedp.SendKeys(chromedp.CSS(`form.edit input[name=retry_schedule]`), "5s, 1m"),
		chromedp.Click(chromedp.CSS(`form.edit input[value=analytics]`)),
		chromedp.SetValue(chromedp.CSS(`form.edit input[name=header_value]`), "acme-2"),
		chromedp.Click(chromedp.CSS(`form.edit button[type=submit]`)))
	b.waitText("hubspot saved", "[role=status]", "Endpoint hubspot saved.")
	hub = b.apiJSON("/api/v1/endpoints/hubspot")
	if asJSON(hub["retry_schedule"]) != `["5s","1m"]` || asJSON(hub["consent"]) != `["analytics"]` || asJSON(hub["headers"]) != `{"X-Tenant":"acme-2"}` ||
		!strings.Contains(fmt.Sprint(hub["template"]), "objectTypeId") {
		t.Fatalf("edited webhook: %v", hub)
	}
	// Edit the Conversions API endpoint: its own fields, the token kept.
	b.step("edit meta", chromedp.Navigate(b.app+"/admin/#/endpoints/meta"), chromedp.WaitVisible(chromedp.Search(`//button[text()="Edit"]`)),
		chromedp.Click(chromedp.Search(`//button[text()="Edit"]`)), chromedp.WaitVisible(chromedp.CSS(`form.edit input[name=pixel_id]`)),
		js(`document.querySelector("form.edit input[name=test_event_code]").value = ""`),
		chromedp.Click(chromedp.CSS(`form.edit input[name=ldu]`)),
		chromedp.Click(chromedp.CSS(`form.edit button[type=submit]`)))
	b.waitText("meta saved", "[role=status]", "Endpoint meta saved.")
	capi = b.apiJSON("/api/v1/endpoints/meta")
	if capi["test_event_code"] != nil || asJSON(capi["limited_data_use"]) != `{"country":0,"state":0}` || capi["has_access_token"] != true || capi["rate_limit"] != 5.0 {
		t.Fatalf("edited Conversions API endpoint: %v", capi)
	}

	// Health: axes, legend, and a window picker.
	b.step("health", chromedp.Navigate(b.app+"/admin/#/endpoints/crm"), chromedp.WaitVisible(chromedp.CSS(`.health svg.stack`)))
	b.waitJS("health axes and legend", `document.querySelectorAll(".health .axis.y text.tick").length >= 2 && document.querySelectorAll(".health .axis.x text.tick").length >= 2
		&& [...document.querySelectorAll(".health ul.legend li")].map(l => l.textContent).join() === "succeeded,failed"`)
	b.step("health window", choose(`select[name=window]`, "720h"))
	b.waitText("health 30 days", ".health figcaption", "last 30 days")

	// Sites edit in place.
	b.step("sites", chromedp.Navigate(b.app+"/admin/#/sites"), chromedp.WaitVisible(chromedp.CSS(`button[aria-label="Edit site acme"]`)),
		chromedp.Click(chromedp.CSS(`button[aria-label="Edit site acme"]`)), chromedp.WaitVisible(chromedp.CSS(`#edit-site`)))
	b.waitJS("site form starts from stored", `document.querySelector("form.edit input[name=origins]").value === "https://www.acme.com"`)
	b.step("edit site", chromedp.SetValue(chromedp.CSS(`form.edit input[name=origins]`), "https://www.acme.com, https://shop.acme.com"),
		choose(`form.edit select[name=consent_mode]`, "opt_in"), chromedp.Click(chromedp.CSS(`form.edit button[type=submit]`)))
	b.waitText("site saved", "[role=status]", "Site acme saved.")
	b.waitText("site listed", "tbody td", "https://shop.acme.com")
	site := b.apiJSON("/api/v1/sites/acme")
	if asJSON(site["origins"]) != `["https://www.acme.com","https://shop.acme.com"]` || site["consent_mode"] != "opt_in" || site["pii"] != "hash" {
		t.Fatalf("edited site: %v", site)
	}

	// 375 px: every page fits without sideways scrolling.
	b.step("narrow", chromedp.EmulateViewport(375, 900, chromedp.EmulateMobile))
	for _, p := range []struct{ hash, wait, shot string }{
		{"#/endpoints", `#new-ep`, "adminui-endpoints-375"},
		{"#/endpoints/crm", `.health svg`, "adminui-endpoint-375"},
		{"#/sites", `#new-site`, "adminui-sites-375"},
	} {
		b.step("narrow "+p.hash, chromedp.Navigate(b.app+"/admin/"+p.hash), chromedp.WaitVisible(chromedp.CSS(p.wait)))
		b.waitJS("no overflow on "+p.hash, `document.documentElement.scrollWidth <= 375`)
		b.shot(p.shot)
	}
	b.step("wide", chromedp.EmulateViewport(1280, 1400))

	// The API reference renders the OpenAPI document, required fields and enums included.
	b.step("api reference", chromedp.Navigate(b.app+"/admin/#/endpoints"), chromedp.WaitVisible(chromedp.Search(`//a[text()="API reference"]`)),
		chromedp.Click(chromedp.Search(`//a[text()="API reference"]`)), chromedp.WaitVisible(chromedp.CSS(`#op-previewTemplate`)))
	b.waitJS("reference schemas", `[...document.querySelectorAll("#schema-Endpoint li")].some(l => l.textContent.startsWith("status") && l.textContent.includes("required") && l.textContent.includes('"paused"'))`)
	b.shot("api-reference")
}

func shotName(t *testing.T, name string) string { return filepath.Join(outputDir(t), name+".png") }
