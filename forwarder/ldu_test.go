package forwarder

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/consent"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/testkit"
)

// Meta Limited Data Use per endpoint: each event of an endpoint with
// limited_data_use carries data_processing_options ["LDU"] with its country
// and state (0 included: Meta geolocates); an endpoint without it sends
// none of the three fields.
func TestCAPILimitedDataUse(t *testing.T) {
	g := newFakeGraph(t)
	ep := func(id, pixel string, ldu *consent.LimitedDataUse) endpoint.Endpoint {
		return endpoint.Endpoint{ID: id, Site: "acme", Type: endpoint.TypeFacebookCAPI, PixelID: pixel, AccessToken: "EAAB",
			GraphURL: g.srv.URL, Events: []string{"*"}, LimitedDataUse: ldu}
	}
	e := newEnv(t, testConfig(
		ep("ca", "111", &consent.LimitedDataUse{Country: 1, State: 1000}),
		ep("geo", "222", &consent.LimitedDataUse{}),
		ep("plain", "333", nil)))
	e.log.Append(testEvent("popin_captured"))
	testkit.Eventually(t, 10*time.Second, func() error {
		if n := len(g.events()); n != 3 {
			return fmt.Errorf("%d of 3 requests' events", n)
		}
		return nil
	})
	g.mu.Lock()
	defer g.mu.Unlock()
	want := map[string]string{
		"/v24.0/111/events": `"data_processing_options":["LDU"],"data_processing_options_country":1,"data_processing_options_state":1000`,
		"/v24.0/222/events": `"data_processing_options":["LDU"],"data_processing_options_country":0,"data_processing_options_state":0`,
	}
	for i, raw := range g.raw {
		w, ldu := want[g.paths[i]]
		switch {
		case ldu && !strings.Contains(raw, w):
			t.Errorf("%s: body %s lacks %s", g.paths[i], raw, w)
		case !ldu && strings.Contains(raw, "data_processing_options"):
			t.Errorf("%s: body without limited_data_use has %s", g.paths[i], raw)
		}
	}
}

// A site's limited_data_use applies to its Conversions API endpoints that
// set none; an endpoint's own wins.
func TestCAPISiteLimitedDataUse(t *testing.T) {
	g := newFakeGraph(t)
	ep := func(id, pixel string, ldu *consent.LimitedDataUse) endpoint.Endpoint {
		return endpoint.Endpoint{ID: id, Site: "acme", Type: endpoint.TypeFacebookCAPI, PixelID: pixel, AccessToken: "EAAB",
			GraphURL: g.srv.URL, Events: []string{"*"}, LimitedDataUse: ldu}
	}
	acme := site.Site{ID: "acme", WriteKey: "pk_acme", LimitedDataUse: &consent.LimitedDataUse{Country: 1, State: 1000}}
	e := newEnv(t, testConfig(ep("inherits", "111", nil), ep("own", "222", &consent.LimitedDataUse{})), acme)
	e.log.Append(testEvent("popin_captured"))
	testkit.Eventually(t, 10*time.Second, func() error {
		if n := len(g.events()); n != 2 {
			return fmt.Errorf("%d of 2 requests' events", n)
		}
		return nil
	})
	g.mu.Lock()
	defer g.mu.Unlock()
	want := map[string]string{
		"/v24.0/111/events": `"data_processing_options":["LDU"],"data_processing_options_country":1,"data_processing_options_state":1000`,
		"/v24.0/222/events": `"data_processing_options":["LDU"],"data_processing_options_country":0,"data_processing_options_state":0`,
	}
	for i, raw := range g.raw {
		if w := want[g.paths[i]]; !strings.Contains(raw, w) {
			t.Errorf("%s: body %s lacks %s", g.paths[i], raw, w)
		}
	}
}
