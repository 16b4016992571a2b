package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// gtmRecipe is the Custom HTML tag of widget-sdk/README.md ("Google Tag
// Manager"), pointed at the ingest under test.
func gtmRecipe(t *testing.T, ing sdkIngest) string {
	t.Helper()
	readme, err := os.ReadFile("../widget-sdk/README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok1 := strings.Cut(string(readme), "<!-- gtm:begin -->\n```html\n")
	block, _, ok2 := strings.Cut(rest, "```\n<!-- gtm:end -->")
	if !ok1 || !ok2 {
		t.Fatal("widget-sdk/README.md has no gtm:begin/gtm:end html block")
	}
	for old, repl := range map[string]string{"https://www.site.com/t/pb/sdk.js": ing.BaseURL() + "/sdk.js", "'pk_acme'": "'" + ing.Key() + "'"} {
		if !strings.Contains(block, old) {
			t.Fatalf("the GTM recipe lacks %s", old)
		}
		block = strings.ReplaceAll(block, old, repl)
	}
	if !strings.Contains(block, stubJS) {
		t.Error("the GTM recipe's stub differs from stubJS")
	}
	return block
}

// TestSDKGTMRecipe runs the README's GTM tag on a page with a dataLayer and
// gtag (as GTM and a CMP would leave them): the widget fires before the
// SDK loaded, consent defaults from before the tag and an update after the
// SDK loaded reach the events' ctx.consent.
func TestSDKGTMRecipe(t *testing.T) {
	browser := startChromium(t)
	site := startSite(t)
	ing := startFakeIngest(t) // ctx.consent as sent
	tb := openTab(t, browser)
	gtag := `<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}
gtag('consent','default',{ad_storage:'denied',analytics_storage:'granted'});dataLayer.push({event:'gtm.js'})</script>`
	early := `<script>window.popinEvent('popin_captured',{email:'asha@example.com'})</script>`
	tb.navigate(site.page("gtm", gtag, gtmRecipe(t, ing), early))
	tb.waitJS("window.PopinBridge && PopinBridge.v", 10*time.Second)
	eval[bool](tb, `gtag('consent','update',{ad_storage:'granted'}); PopinBridge.track('after_update',{}); true`)
	got := waitReceived(t, ing, map[string]int{"popin_captured": 1, "after_update": 1}, 15*time.Second)
	want := map[string]map[string]bool{
		"popin_captured": {"ad_storage": false, "analytics_storage": true},
		"after_update":   {"ad_storage": true, "analytics_storage": true},
	}
	for _, e := range got {
		var c struct {
			Consent map[string]bool `json:"consent"`
		}
		if err := json.Unmarshal(e.Ctx, &c); err != nil {
			t.Fatal(err)
		}
		for k, v := range want[e.Name] {
			if got, ok := c.Consent[k]; !ok || got != v {
				t.Errorf("%s: ctx.consent %v, want %s=%v", e.Name, c.Consent, k, v)
			}
		}
	}
	checkNoPageErrors(t, tb)
}
