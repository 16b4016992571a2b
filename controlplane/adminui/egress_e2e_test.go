package adminui_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/popinbridge/bridge/controlplane"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/testkit"
)

// Flow implements controlplane.FlowReporter for the endpoints applied with
// a concurrency: running at one below it, rate limited on two nodes, with a
// queue and a Retry-After pause 90 s away.
func (e *chEngine) Flow(id string) (controlplane.Flow, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ep, ok := e.applied[id]
	if !ok || ep.Concurrency == 0 {
		return controlplane.Flow{}, false
	}
	until := time.Now().Add(90 * time.Second).UTC()
	return controlplane.Flow{Concurrency: ep.Concurrency - 1, MaxConcurrency: ep.Concurrency, RateLimit: ep.RateLimit,
		NodeRateLimit: ep.RateLimit / 2, Nodes: 2, QueueDepth: 7, PausedUntil: &until}, true
}

// appliedOAuth2 is (a copy of) the OAuth2 settings the engine was given
// for id, the client secret unsealed as the forwarder gets it.
func (e *chEngine) appliedOAuth2(id string) endpoint.OAuth2 {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ep, ok := e.applied[id]; ok && ep.OAuth2 != nil {
		return *ep.OAuth2
	}
	return endpoint.OAuth2{}
}

// egressSteps: create a webhook with OAuth2 client credentials from the
// form (from the keyboard), see the secret never shown back, edit it
// keeping the secret; the Flow panel; an attempt's match keys; 375 px.
func egressSteps(b *browser) {
	t := b.t
	const secret = "s3cret-client-value"
	b.step("egress form", chromedp.Navigate(b.app+"/admin/#/sites"), chromedp.Navigate(b.app+"/admin/#/endpoints"), chromedp.WaitVisible(chromedp.CSS(`#new-ep`)))
	b.waitJS("oauth2 starts off", `!document.querySelector("input[name='oauth2.token_url']").checkVisibility()`)
	b.step("oauth2 on by keyboard", chromedp.Focus(chromedp.CSS(`input[name=oauth2]`)), chromedp.KeyEvent(" "))
	b.waitJS("oauth2 fields shown", `document.querySelector("input[name='oauth2.token_url']").checkVisibility()`)
	b.step("oauth2 fields",
		chromedp.SendKeys(chromedp.CSS(`input[name=id]`), "oauthcrm"),
		chromedp.SendKeys(chromedp.CSS(`input[name=url]`), b.receiver+"/hooks/oauth"),
		chromedp.SendKeys(chromedp.CSS(`input[name='oauth2.token_url']`), b.receiver+"/oauth/token"),
		chromedp.SendKeys(chromedp.CSS(`input[name='oauth2.client_id']`), "bridge"),
		chromedp.SendKeys(chromedp.CSS(`input[name='oauth2.client_secret']`), secret),
		chromedp.SendKeys(chromedp.CSS(`input[name='oauth2.scopes']`), "leads:write, contacts"),
		choose(`select[name='oauth2.auth_style']`, "header"),
		chromedp.Click(chromedp.CSS(`details.advanced summary`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=concurrency]`), "3"),
		chromedp.SendKeys(chromedp.CSS(`input[name=rate_limit]`), "4"))
	b.waitJS("every control named", unlabelled+`.length === 0`)
	b.shot("adminui-oauth2-form")
	b.step("create oauth2", chromedp.Focus(chromedp.CSS(`#new-ep ~ button[type=submit]`)), chromedp.KeyEvent(kb.Enter))
	b.waitText("oauth2 created", "[role=status]", "Created oauthcrm")
	ep := b.apiJSON("/api/v1/endpoints/oauthcrm")
	if asJSON(ep["oauth2"]) != `{"auth_style":"header","client_id":"bridge","client_secret":"REDACTED","scopes":["leads:write","contacts"],"token_url":"`+b.receiver+`/oauth/token"}` ||
		ep["concurrency"] != 3.0 || ep["tls"] != nil {
		t.Fatalf("created OAuth2 webhook: %v", ep)
	}
	if strings.Contains(asJSON(ep), secret) {
		t.Fatal("the API showed the client secret")
	}

	// The engine gets the endpoint (and reports its flow) once applied.
	testkit.Eventually(t, 20*time.Second, func() error {
		if f, _ := b.apiJSON("/api/v1/endpoints/oauthcrm")["flow"].(map[string]any); f == nil || f["max_concurrency"] != 3.0 {
			return fmt.Errorf("flow %v", f)
		}
		if got := b.eng.appliedOAuth2("oauthcrm").ClientSecret; got != secret {
			return fmt.Errorf("engine has client secret %q", got)
		}
		return nil
	})
	b.step("open oauthcrm", chromedp.Navigate(b.app+"/admin/#/endpoints/oauthcrm"), chromedp.WaitVisible(chromedp.CSS(`.flow dl`)))
	b.waitText("flow concurrency", ".flow dd", "2 of 3 configured")
	b.waitText("flow rate", ".flow dd", "4/s across the cluster; this node's share 2/s")
	b.waitText("flow queue", ".flow dd", "7 waiting or in flight")
	b.waitText("flow paused", ".flow dd.paused-until", "(in ")
	b.waitText("paused explained", ".flow p.note", "Retry-After")

	// Edit: the secret is not shown back and is kept when left empty.
	b.step("edit oauthcrm", chromedp.Click(chromedp.Search(`//button[text()="Edit"]`)), chromedp.WaitVisible(chromedp.CSS(`form.edit input[name='oauth2.client_id']`)))
	b.waitJS("edit starts from stored oauth2", `(() => { const q = (s) => document.querySelector("form.edit " + s);
		return q("input[name=oauth2]").checked && q("input[name='oauth2.client_id']").value === "bridge" && q("select[name='oauth2.auth_style']").value === "header"
			&& q("input[name='oauth2.client_secret']").value === "" && q("input[name='oauth2.client_secret']").placeholder.includes("unchanged")
			&& ![...document.querySelectorAll("input, textarea")].some(i => i.value.includes("REDACTED") || i.value.includes(`+jsString(secret)+`))
			&& !document.body.innerText.includes(`+jsString(secret)+`) })()`)
	b.step("edit scopes", chromedp.SetValue(chromedp.CSS(`form.edit input[name='oauth2.scopes']`), "leads:write"),
		chromedp.Focus(chromedp.CSS(`form.edit button[type=submit]`)), chromedp.KeyEvent(kb.Enter))
	b.waitText("oauthcrm saved", "[role=status]", "Endpoint oauthcrm saved.")
	ep = b.apiJSON("/api/v1/endpoints/oauthcrm")
	if o, _ := ep["oauth2"].(map[string]any); o == nil || asJSON(o["scopes"]) != `["leads:write"]` || o["client_secret"] != "REDACTED" {
		t.Fatalf("edited OAuth2 webhook: %v", ep)
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if o := b.eng.appliedOAuth2("oauthcrm"); strings.Join(o.Scopes, ",") != "leads:write" || o.ClientSecret != secret {
			return fmt.Errorf("engine has scopes %v, client secret kept %v", o.Scopes, o.ClientSecret == secret)
		}
		return nil
	})

	// An ad-platform attempt lists the match keys it sent.
	b.insert("meta", []logged{{delivery: "dm", attempt: 1, code: 200, at: time.Now().Add(-time.Minute), state: "delivered", site: "acme",
		url: "https://graph.facebook.com/v21.0/123456789012/events", matchKeys: "em,ph,ip,ua,fbp"}})
	b.step("meta attempts", chromedp.Navigate(b.app+"/admin/#/endpoints/meta"), chromedp.WaitVisible(chromedp.CSS(`button[aria-label="Details of attempt 1 of dm"]`)),
		chromedp.Click(chromedp.CSS(`button[aria-label="Details of attempt 1 of dm"]`)))
	b.waitText("match keys listed", `ul[aria-label="Match keys sent"] li`, "em — e-mail (hashed)")
	b.waitJS("every match key", `document.querySelectorAll('ul[aria-label="Match keys sent"] li').length === 5`)
	b.waitText("match quality explained", ".match-keys p.note", "match quality")
	b.waitText("no flow state", ".flow p.note", "No flow state here")

	// 375 px: the Flow panel and the OAuth2 edit form fit.
	b.step("narrow egress", chromedp.EmulateViewport(375, 900, chromedp.EmulateMobile),
		chromedp.Navigate(b.app+"/admin/#/endpoints/oauthcrm"), chromedp.WaitVisible(chromedp.CSS(`.flow dl`)))
	b.waitJS("no overflow on the flow panel", `document.documentElement.scrollWidth <= 375`)
	b.shot("adminui-flow-375")
	b.step("narrow oauth2 edit", chromedp.Click(chromedp.Search(`//button[text()="Edit"]`)), chromedp.WaitVisible(chromedp.CSS(`form.edit input[name='oauth2.token_url']`)),
		chromedp.Click(chromedp.CSS(`form.edit details.advanced summary`)))
	b.waitJS("no overflow on the oauth2 edit form", `document.documentElement.scrollWidth <= 375`)
	b.shot("adminui-oauth2-edit-375")
	b.step("leave edit", chromedp.KeyEvent(kb.Escape), chromedp.EmulateViewport(1280, 1400))
	b.waitJS("edit left", `!document.querySelector("form.edit")`)
}

func jsString(s string) string { return asJSON(s) }
