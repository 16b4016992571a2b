package adminui_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
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

// appliedEndpoint is (a copy of) endpoint id as the engine was given it,
// credentials unsealed as the forwarder gets them.
func (e *chEngine) appliedEndpoint(id string) controlplane.Endpoint {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.applied[id].Clone()
}

// oauth2Of is ep's OAuth2 settings, zero without.
func oauth2Of(ep controlplane.Endpoint) endpoint.OAuth2 {
	if ep.OAuth2 == nil {
		return endpoint.OAuth2{}
	}
	return *ep.OAuth2
}

// selfSigned is a client certificate and its key, PEM.
func selfSigned(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bridge-client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	k, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}))
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
		if got := oauth2Of(b.eng.appliedEndpoint("oauthcrm")).ClientSecret; got != secret {
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
		if o := oauth2Of(b.eng.appliedEndpoint("oauthcrm")); strings.Join(o.Scopes, ",") != "leads:write" || o.ClientSecret != secret {
			return fmt.Errorf("engine has scopes %v, client secret kept %v", o.Scopes, o.ClientSecret == secret)
		}
		return nil
	})

	// A client certificate: the key is never shown back and kept on edit.
	cert, key := selfSigned(t)
	b.step("add client certificate", chromedp.Click(chromedp.Search(`//button[text()="Edit"]`)), chromedp.WaitVisible(chromedp.CSS(`form.edit details.advanced summary`)),
		chromedp.Click(chromedp.CSS(`form.edit details.advanced summary`)),
		chromedp.SetValue(chromedp.CSS(`form.edit textarea[name='tls.cert_pem']`), cert),
		chromedp.SetValue(chromedp.CSS(`form.edit textarea[name='tls.key']`), key),
		chromedp.Click(chromedp.CSS(`form.edit button[type=submit]`)))
	b.waitText("client certificate shown", "dl.facts", "client certificate")
	if tl, _ := b.apiJSON("/api/v1/endpoints/oauthcrm")["tls"].(map[string]any); tl == nil || tl["key"] != "REDACTED" || tl["cert_pem"] != cert {
		t.Fatalf("tls after adding a certificate: %v", tl)
	}
	b.step("edit server name", chromedp.Click(chromedp.Search(`//button[text()="Edit"]`)), chromedp.WaitVisible(chromedp.CSS(`form.edit details.advanced summary`)),
		chromedp.Click(chromedp.CSS(`form.edit details.advanced summary`)))
	b.waitJS("key not shown back", `document.querySelector("form.edit textarea[name='tls.key']").value === "" && document.querySelector("form.edit textarea[name='tls.key']").placeholder.includes("unchanged")
		&& document.querySelector("form.edit textarea[name='tls.cert_pem']").value.includes("BEGIN CERTIFICATE")`)
	b.step("save server name", chromedp.SendKeys(chromedp.CSS(`form.edit input[name='tls.server_name']`), "crm.internal"), chromedp.Click(chromedp.CSS(`form.edit button[type=submit]`)))
	b.waitText("server name shown", "dl.facts", "server name crm.internal")
	testkit.Eventually(t, 20*time.Second, func() error {
		ep := b.eng.appliedEndpoint("oauthcrm")
		if ep.TLS == nil || ep.TLS.ServerName != "crm.internal" || ep.TLS.Key != key || oauth2Of(ep).ClientSecret != secret {
			return fmt.Errorf("engine has tls %+v", ep.TLS)
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
