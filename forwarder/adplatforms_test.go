package forwarder

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dlv "github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestAdPlatformDelivery: ga4 and tiktok endpoints go through the whole
// pipeline to loopback fakes of their APIs, each with its default consent:
// an event with analytics denied reaches TikTok but not GA4 (suppressed,
// recorded), an event with ads denied the other way round (and away from
// the Conversions API); delivery rows carry the match keys sent.
func TestAdPlatformDelivery(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]string{} // path → bodies
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.URL.Path] = append(got[r.URL.Path], string(b))
		mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/meta/") {
			_, _ = io.WriteString(w, `{"events_received":1}`)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/tt/") {
			_, _ = io.WriteString(w, `{"code":0,"message":"OK"}`)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	ga := endpoint.Endpoint{ID: "ga", Site: "acme", Type: endpoint.TypeGA4, Events: []string{"*"},
		AdPlatforms: endpoint.AdPlatforms{MeasurementID: "G-TEST123", APISecret: "sec"}, APIURL: srv.URL + "/ga"}
	tt := endpoint.Endpoint{ID: "tt", Site: "acme", Type: endpoint.TypeTikTok, Events: []string{"*"}, AccessToken: "tok",
		AdPlatforms: endpoint.AdPlatforms{PixelCode: "COQDA8RC77U2TMR44LI0"}, APIURL: srv.URL + "/tt"}
	meta := endpoint.Endpoint{ID: "meta", Site: "acme", Type: endpoint.TypeFacebookCAPI, Events: []string{"*"}, PixelID: "123", AccessToken: "EAAB", GraphURL: srv.URL + "/meta"}
	e := newEnv(t, testConfig(ga, tt, meta))
	noAnalytics, noAds := testEvent("popin_captured"), testEvent("popin_call_end")
	noAnalytics.Context.Consent = map[string]bool{"analytics": false}
	noAds.Context.Consent = map[string]bool{"ads": false}
	e.log.Append(noAnalytics, noAds)
	testkit.Eventually(t, 15*time.Second, func() error {
		if n, m, k := len(e.w.forEndpoint("ga")), len(e.w.forEndpoint("tt")), len(e.w.forEndpoint("meta")); n < 2 || m < 2 || k < 2 {
			return fmt.Errorf("delivery rows: ga %d, tt %d, meta %d of 2 each", n, m, k)
		}
		return nil
	})
	states, keys := map[string]string{}, map[string]string{}
	for _, r := range e.w.all() {
		states[r.EndpointID+"/"+r.EventID] = r.State
		keys[r.EndpointID+"/"+r.EventID] = r.MatchKeys
	}
	// The delivery log says which match keys each ad-platform attempt sent
	// (testEvent has e-mail, phone, name, city, zip, country, ip, ua, fbp, fbc).
	for k, want := range map[string]string{
		"meta/" + noAnalytics.ID: "em,ph,fn,ln,ct,zp,country,external_id,ip,ua,fbp,fbc",
		"tt/" + noAnalytics.ID:   "email,phone,external_id,ip,user_agent",
		"ga/" + noAds.ID:         "",
	} {
		if keys[k] != want {
			t.Errorf("%s: match_keys %q, want %q", k, keys[k], want)
		}
	}
	for k, want := range map[string]string{
		"ga/" + noAnalytics.ID: dlv.StateSuppressed, "ga/" + noAds.ID: dlv.StateDelivered,
		"tt/" + noAnalytics.ID: dlv.StateDelivered, "tt/" + noAds.ID: dlv.StateSuppressed,
		"meta/" + noAnalytics.ID: dlv.StateDelivered, "meta/" + noAds.ID: dlv.StateSuppressed,
	} {
		if states[k] != want {
			t.Errorf("%s: state %q, want %q (all: %v)", k, states[k], want, states)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	gaBodies, ttBodies := strings.Join(got["/ga/mp/collect"], ""), strings.Join(got["/tt/open_api/v1.3/event/track/"], "")
	if !strings.Contains(gaBodies, `"popin_call_end"`) || strings.Contains(gaBodies, "generate_lead") {
		t.Errorf("GA4 bodies: %s", gaBodies)
	}
	if !strings.Contains(ttBodies, `"SubmitForm"`) || strings.Contains(ttBodies, `"Contact"`) {
		t.Errorf("TikTok bodies: %s", ttBodies)
	}
}
