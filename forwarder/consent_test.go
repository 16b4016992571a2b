package forwarder

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/consent"
	dlv "github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/testkit"
)

// Consent per destination: an endpoint needing "ads" gets only events whose
// consent allows it under the site's mode; the others are recorded as
// suppressed, naming the purpose, and never sent. An endpoint needing
// nothing gets every event (the positive control). The Conversions API
// needs ads unless told otherwise.
func TestConsentPerDestination(t *testing.T) {
	secret := signing.NewSecret()
	adsRcv, allRcv := newReceiver(t, secret), newReceiver(t, secret)
	ads := webhookEP("ads", adsRcv.url(), secret)
	ads.Consent = []string{consent.Ads}
	ads.Site = "beta"
	all := webhookEP("all", allRcv.url(), secret)
	all.Site = "beta"
	adsOut := webhookEP("ads_out", adsRcv.url()+"?site=acme", secret)
	adsOut.Consent = []string{consent.Ads}
	e := newEnv(t, testConfig(ads, all, adsOut),
		site.Site{ID: "acme", WriteKey: "pk_acme", ConsentMode: consent.OptOut},
		site.Site{ID: "beta", WriteKey: "pk_beta", ConsentMode: consent.OptIn})

	type tc struct {
		site    string
		consent map[string]bool
		sent    bool // reaches the endpoint needing ads
	}
	cases := []tc{
		{"beta", map[string]bool{"ads": true}, true},
		{"beta", map[string]bool{"ad_storage": true, "ad_user_data": true}, true},
		{"beta", map[string]bool{"ads": false}, false},
		{"beta", map[string]bool{"ad_user_data": false}, false},
		{"beta", nil, false}, // opt_in: unknown is not granted
		{"beta", map[string]bool{"analytics": true}, false}, // another purpose
		{"acme", nil, true},                            // opt_out: unknown is allowed
		{"acme", map[string]bool{"ads": false}, false}, // a denial is honoured in both modes
	}
	wantSent, wantAll := 0, 0
	for _, c := range cases {
		ev := testEvent("popin_captured")
		ev.SiteID, ev.Context.Consent = c.site, c.consent
		e.log.Append(ev)
		if c.sent {
			wantSent++
		}
		if c.site == "beta" {
			wantAll++
		}
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if allRcv.delivered() != wantAll || e.log.r.Acked() != len(cases) {
			return fmt.Errorf("control endpoint %d of %d, acked %d of %d", allRcv.delivered(), wantAll, e.log.r.Acked(), len(cases))
		}
		return nil
	})
	queueIdle(t, e, "ads")
	queueIdle(t, e, "ads_out")
	if adsRcv.delivered() != wantSent {
		t.Fatalf("endpoints needing ads got %d events, want %d", adsRcv.delivered(), wantSent)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		var suppressed int
		for _, r := range e.w.all() {
			if r.State == dlv.StateSuppressed {
				suppressed++
				if !strings.Contains(r.Error, "ads") || r.OK || r.EndpointID == "all" {
					return fmt.Errorf("suppressed row %+v", r)
				}
			}
		}
		if suppressed != len(cases)-wantSent {
			return fmt.Errorf("%d suppressed rows, want %d", suppressed, len(cases)-wantSent)
		}
		return nil
	})
	for _, a := range e.obs.all() {
		if a.State == dlv.StateSuppressed {
			t.Fatalf("a suppressed delivery was reported to the lifecycle: %+v", a)
		}
	}
	capi := endpoint.Endpoint{Type: endpoint.TypeFacebookCAPI}
	capi.ApplyDefaults()
	if len(capi.Consent) != 1 || capi.Consent[0] != consent.Ads {
		t.Fatalf("Conversions API default consent %v, want [ads]", capi.Consent)
	}
}
