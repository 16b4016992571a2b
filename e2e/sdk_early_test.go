package e2e

import (
	"encoding/json"
	"sort"
	"testing"
	"time"
)

// earlyCallsJS calls the API through the inline stub before sdk.js is on the
// page: consent, identify, two custom events (one through a reference to the
// stub's method kept from before the load) and a flush whose promise must
// settle once the SDK has sent them.
const earlyCallsJS = `<script>PopinBridge.consent({ads:false,analytics:true});PopinBridge.identify('crm-7',{plan:'gold'});
PopinBridge.track('early_one',{n:1});window.keptTrack=PopinBridge.track;
PopinBridge.flush().then(function(r){window.flushed=r});PopinBridge.track('early_two',{n:2})</script>`

// TestSDKEarlyCalls: PopinBridge calls made before the SDK loaded are kept by
// the stub and replayed in order on load, before the widget's queued events
// (so the early consent applies to those), next to the popinEvent capture.
func TestSDKEarlyCalls(t *testing.T) {
	browser := startChromium(t)
	site := startSite(t)
	ing := startFakeIngest(t) // ctx and seq as they come over the wire
	tb := openTab(t, browser)
	tb.navigate(site.page("early", stubJS, earlyCallsJS, customerJS, popinSnippetJS,
		injectSDK(ing, "window.fakePopin && fakePopin.fired >= 14")))
	tb.waitJS("window.PopinBridge && PopinBridge.v", 10*time.Second)
	// A stub method kept from before the load reaches the SDK.
	eval[bool](tb, `keptTrack('late_via_stub',{}); true`)
	got := waitReceived(t, ing, times(1, "identify", "early_one", "early_two", "late_via_stub"), 15*time.Second)
	tb.waitJS("window.flushed === true", 10*time.Second)
	checkHandler(t, tb)
	checkNoPageErrors(t, tb)

	byName := map[string]receivedEvent{}
	var seqs []receivedEvent
	for _, e := range got {
		byName[e.Name] = e
		seqs = append(seqs, e)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i].Seq < seqs[j].Seq })
	order := []string{"identify", "early_one", "early_two"}
	for i, name := range order {
		if seqs[i].Name != name {
			t.Errorf("event with seq %d is %s, want %s (early calls first, in order)", seqs[i].Seq, seqs[i].Name, name)
		}
	}
	var id struct {
		UserID string         `json:"user_id"`
		Traits map[string]any `json:"traits"`
	}
	if err := json.Unmarshal(byName["identify"].Data, &id); err != nil || id.UserID != "crm-7" || id.Traits["plan"] != "gold" {
		t.Errorf("identify data %s", byName["identify"].Data)
	}
	for _, name := range []string{"early_one", "popin_captured"} {
		var c struct {
			Consent map[string]bool `json:"consent"`
		}
		if err := json.Unmarshal(byName[name].Ctx, &c); err != nil || c.Consent["ads"] || !c.Consent["analytics"] {
			t.Errorf("%s: ctx %s, want the early consent (ads false, analytics true)", name, byName[name].Ctx)
		}
	}
}
