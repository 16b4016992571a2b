package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

// TestSDKGA4ClientID: a page with gtag's _ga cookie sends its client id
// (ctx.ga_client_id) and the bridge's GA4 delivery (a loopback Measurement
// Protocol) uses it as client_id, so the event joins the site's gtag
// sessions; on a page without the cookie the client_id is the one derived
// from the aid (positive control that both went through the same path).
func TestSDKGA4ClientID(t *testing.T) {
	const ga = "1234567890.1763920000"
	browser := startChromium(t)
	site := startSite(t)
	mp := startReceiver(t)
	ing := startForwardingBridge(t, "", fmt.Sprintf(
		`  - {id: ga, site: e2e, type: ga4, measurement_id: G-TEST123, api_secret: s3cret, api_url: %q, event_map: {with_ga_cookie: with_ga_cookie, without_ga_cookie: without_ga_cookie}}`, mp.URL+"/"))
	tb := openTab(t, browser)
	load := func(name, head string) {
		t.Helper()
		tb.navigate(site.page(name, head, localSDKTag(ing, "")))
		tb.waitJS("window.PopinBridge && PopinBridge.v", 10*time.Second)
	}
	load("ga", `<script>document.cookie='_ga=GA1.1.`+ga+`;path=/'</script>`)
	eval[bool](tb, `PopinBridge.track('with_ga_cookie'); true`)
	if !eval[bool](tb, `PopinBridge.flush()`) {
		t.Fatal("flush did not settle")
	}
	eval[bool](tb, `document.cookie='_ga=;path=/;max-age=0'; true`)
	load("no-ga", "")
	eval[bool](tb, `PopinBridge.track('without_ga_cookie'); true`)
	if !eval[bool](tb, `PopinBridge.flush()`) {
		t.Fatal("flush did not settle")
	}

	clientOf := func(name string) (string, error) {
		bodies := mp.find(`"` + name + `"`)
		if len(bodies) == 0 {
			return "", fmt.Errorf("no GA4 delivery of %s", name)
		}
		var r struct {
			ClientID string `json:"client_id"`
		}
		if err := json.Unmarshal([]byte(bodies[0]), &r); err != nil {
			return "", err
		}
		return r.ClientID, nil
	}
	var withCookie, without string
	testkit.Eventually(t, time.Minute, func() error {
		var err error
		if withCookie, err = clientOf("with_ga_cookie"); err != nil {
			return err
		}
		without, err = clientOf("without_ga_cookie")
		return err
	})
	if withCookie != ga {
		t.Errorf("client_id %q with the _ga cookie, want %q", withCookie, ga)
	}
	if without == "" || without == ga {
		t.Errorf("client_id %q without the cookie, want the aid-derived one", without)
	}
	checkNoPageErrors(t, tb)
}
