package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

// tcString is a TCF v2 core segment (version 2) consenting to purposes.
func tcString(purposes ...int) string {
	b := make([]byte, 24)
	set := func(i int) { b[i/8] |= 0x80 >> (i % 8) }
	set(4) // Version, 6 bits: 000010
	for _, p := range purposes {
		set(152 + p - 1) // PurposesConsent
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// fakeCMPJS defines window.__tcfapi as a CMP does: addEventListener calls
// the listener at once with cmpuishown (nothing decided yet) and keeps it
// in window.tcfCb for the test to send tcloaded / useractioncomplete.
const fakeCMPJS = `window.__tcfapi=function(cmd,v,cb){if(cmd!='addEventListener'||v!=2)return;window.tcfCalls=(window.tcfCalls||0)+1;window.tcfCb=cb;cb({eventStatus:'cmpuishown',tcString:'',gdprApplies:true,listenerId:1},true)}`

// TestSDKTCF: on an opt_in site whose page has an IAB TCF CMP that loads
// after the SDK, the SDK finds __tcfapi, holds the events until the CMP
// decides (cmpuishown decides nothing), and sends them with the TC string
// in ctx.consent.tcf. The bridge decodes it: a TC string refusing the
// analytics purposes stores the held event as analytics denied and the
// webhook (consent: analytics) gets nothing; after useractioncomplete with
// every purpose, the next event is forwarded. data-tcf="off" leaves a CMP
// alone (positive control: the first page called it).
func TestSDKTCF(t *testing.T) {
	browser := startChromium(t)
	site := startSite(t)
	recv := startReceiver(t)
	ing := startForwardingBridge(t, ", consent_mode: opt_in", fmt.Sprintf(
		`  - {id: crm, site: e2e, type: webhook, url: %q, auth: none, events: ["tcf_held", "tcf_granted"], consent: ["analytics"]}`, recv.URL))
	tb := openTab(t, browser)
	tb.navigate(site.page("tcf", stubJS, localSDKTag(ing, "")))
	tb.waitJS("window.PopinBridge && PopinBridge.v", 10*time.Second)
	eval[bool](tb, `PopinBridge.track('tcf_held'); true`)
	tb.waitJS(`PopinBridge.stats().mode == 'opt_in'`, 10*time.Second)

	// The CMP arrives after the SDK started; the SDK checks every second.
	eval[bool](tb, fakeCMPJS+`; true`)
	tb.waitJS(`window.tcfCb`, 10*time.Second)
	if n := eval[int](tb, `PopinBridge.stats().pending`); n != 1 {
		t.Fatalf("after cmpuishown: %d pending, want the held event", n)
	}

	deny, grant := tcString(1), tcString(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	eval[bool](tb, `tcfCb({eventStatus:'tcloaded',tcString:'`+deny+`',gdprApplies:true,listenerId:1},true); true`)
	if !eval[bool](tb, `PopinBridge.flush()`) {
		t.Fatal("flush after tcloaded did not settle")
	}
	if got := eval[string](tb, `JSON.stringify(JSON.parse(localStorage.getItem('popinbridge:v1:consent')||'null'))`); got != "null" {
		t.Errorf("consent stored %s: a TC string alone grants no storage to the SDK", got)
	}
	eval[bool](tb, `tcfCb({eventStatus:'useractioncomplete',tcString:'`+grant+`',gdprApplies:true,listenerId:1},true); PopinBridge.track('tcf_granted'); true`)
	if !eval[bool](tb, `PopinBridge.flush()`) {
		t.Fatal("flush after useractioncomplete did not settle")
	}

	// Stored with the decoded purposes.
	want := map[string]string{"tcf_held": "denied", "tcf_granted": "granted"}
	testkit.Eventually(t, time.Minute, func() error {
		res, err := ing.ch.Query(context.Background(), fmt.Sprintf(
			"SELECT name, consent_analytics FROM %s.events FINAL ORDER BY name FORMAT TSV", ing.db))
		if err != nil {
			return err
		}
		if got := strings.TrimSpace(res); got != "tcf_granted\tgranted\ntcf_held\tdenied" {
			return fmt.Errorf("stored %q, want %v", got, want)
		}
		return nil
	})
	testkit.Eventually(t, time.Minute, func() error {
		if len(recv.find(`"tcf_granted"`)) == 0 {
			return fmt.Errorf("tcf_granted not forwarded")
		}
		return nil
	})
	if b := recv.find(`"tcf_held"`); len(b) != 0 {
		t.Errorf("tcf_held forwarded although its TC string refuses analytics: %s", b)
	}
	for _, b := range recv.find(`"tcf_granted"`) {
		if !strings.Contains(b, `"tcf_analytics":true`) || !strings.Contains(b, `"gdpr":true`) {
			t.Errorf("forwarded consent lacks the decoded TC string or gdpr: %s", b)
		}
	}

	// data-tcf="off": a CMP already on the page is not called.
	tb.navigate(site.page("tcf-on", `<script>`+fakeCMPJS+`</script>`, localSDKTag(ing, "")))
	tb.waitJS("window.PopinBridge && PopinBridge.v", 10*time.Second)
	if n := eval[int](tb, `window.tcfCalls||0`); n != 1 {
		t.Fatalf("tag without data-tcf: the SDK called __tcfapi %d times at start, want 1", n)
	}
	tb.navigate(site.page("tcf-off", `<script>`+fakeCMPJS+`</script>`, localSDKTag(ing, `data-tcf="off"`)))
	tb.waitJS("window.PopinBridge && PopinBridge.v", 10*time.Second)
	if n := eval[int](tb, `window.tcfCalls||0`); n != 0 {
		t.Errorf(`data-tcf="off": the SDK called __tcfapi %d times`, n)
	}
	checkNoPageErrors(t, tb)
}
