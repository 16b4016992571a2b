package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// storageJS lists what the page has in localStorage, sessionStorage and
// document.cookie.
const storageJS = `JSON.stringify({l: Object.keys(localStorage), s: Object.keys(sessionStorage), c: document.cookie})`

type pageStorage struct {
	L []string `json:"l"`
	S []string `json:"s"`
	C string   `json:"c"`
}

func readStorage(t *testing.T, tb *tab) pageStorage {
	t.Helper()
	var s pageStorage
	if err := json.Unmarshal([]byte(eval[string](tb, storageJS)), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// sdkKeys returns the SDK's own entries: storage keys with its prefix and
// its _pbaid cookie.
func (s pageStorage) sdkKeys() []string {
	var out []string
	for _, k := range append(append([]string{}, s.L...), s.S...) {
		if strings.HasPrefix(k, "popinbridge:") {
			out = append(out, k)
		}
	}
	if strings.Contains(s.C, "_pbaid=") {
		out = append(out, "cookie _pbaid")
	}
	return out
}

// TestSDKOptIn (issue 10.5): the site's consent_mode comes from the server
// (the hello). On an opt_in site the SDK writes no cookie and no storage
// entry and sends nothing before consent; the events captured before it
// arrive after PopinBridge.consent({analytics: true}), each exactly once
// and with that consent, and then the SDK persists its ids as usual.
// Positive control first: on an opt_out site the same page writes its keys.
func TestSDKOptIn(t *testing.T) {
	browser := startChromium(t)
	tb := openTab(t, browser)
	open := func(site *sitePages, ing sdkIngest, mode string) {
		t.Helper()
		tb.navigate(site.page("consent", stubJS, localSDKTag(ing, ""), widgetJS))
		tb.waitJS("window.PopinBridge && PopinBridge.v && window.fakePopin", 10*time.Second)
		fire(tb)
		eval[bool](tb, `PopinBridge.track('before_consent'); true`)
		tb.waitJS(`PopinBridge.stats().mode == '`+mode+`'`, 10*time.Second)
	}

	// Positive control: opt_out writes the anonymous id (storage and
	// cookie), the session and the outbox as soon as the mode is known.
	out := startFakeIngest(t)
	open(startSite(t), out, "opt_out")
	waitReceived(t, out, times(1, "before_consent"), 15*time.Second)
	s := readStorage(t, tb)
	keys := strings.Join(s.sdkKeys(), " ")
	for _, want := range []string{"popinbridge:v1:aid", "popinbridge:v1:sid", "cookie _pbaid"} {
		if !strings.Contains(keys, want) {
			t.Errorf("opt_out: %s not written (SDK keys: %s)", want, keys)
		}
	}
	// Cookies are per host, not per port: clear it for the next site.
	eval[bool](tb, `document.cookie = '_pbaid=;path=/;max-age=0'; true`)

	// opt_in: another origin, so its storage starts empty.
	in := startFakeIngest(t)
	in.set(func(f *fakeIngest) { f.consentMode = "opt_in" })
	open(startSite(t), in, "opt_in")
	if s := readStorage(t, tb); len(s.L) != 0 || len(s.S) != 0 || s.C != "" || len(s.sdkKeys()) != 0 {
		t.Errorf("opt_in before consent: storage %+v, want nothing at all", s)
	}
	if got := in.Received(); len(got) != 0 {
		t.Errorf("opt_in before consent: %d events sent (%s), want none until consent", len(got), namesOf(got))
	}

	eval[bool](tb, `PopinBridge.consent({analytics: true, ads: false}); true`)
	if !eval[bool](tb, `PopinBridge.flush()`) {
		t.Fatal("flush after consent did not settle")
	}
	got := waitReceived(t, in, times(1, "before_consent"), 15*time.Second)
	s = readStorage(t, tb)
	aid := eval[string](tb, `localStorage.getItem('popinbridge:v1:aid') || ''`)
	if aid == "" || !strings.Contains(s.C, "_pbaid="+aid) {
		t.Errorf("opt_in after consent: aid %q not persisted (storage %+v)", aid, s)
	}
	for id, e := range got {
		if e.Count != 1 {
			t.Errorf("%s (%s) arrived %d times, want once", e.Name, id, e.Count)
		}
		var c struct {
			Consent map[string]bool `json:"consent"`
		}
		_ = json.Unmarshal(e.Ctx, &c)
		if !c.Consent["analytics"] || c.Consent["ads"] {
			t.Errorf("%s: ctx.consent %v, want the consent given after it was captured", e.Name, c.Consent)
		}
		if e.Aid != aid {
			t.Errorf("%s: aid %q, want the persisted %q", e.Name, e.Aid, aid)
		}
	}
	checkNoPageErrors(t, tb)
}
