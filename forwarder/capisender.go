package forwarder

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/popinbridge/bridge/forwarder/internal/capi"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/retry"
)

// capiURL is POST {graph_url}/{api_version}/{pixel_id}/events.
func capiURL(c *endpoint.Endpoint) string {
	return strings.TrimRight(c.GraphURL, "/") + "/" + c.APIVersion + "/" + c.PixelID + "/events"
}

// phoneRegion is the default that capi.Build passes to piinorm.PhoneRegion
// after the event's own countries: the site's default_phone_region, else
// the endpoint's default_region (the same rule, with the event left out).
func (f *Forwarder) phoneRegion(rt *endpointRuntime, siteID string) string {
	siteRegion := ""
	if f.set.Sites != nil {
		if s, ok := f.set.Sites.ByID(siteID); ok {
			siteRegion = s.DefaultPhoneRegion
		}
	}
	return piinorm.PhoneRegion(piinorm.EventCountries{}, siteRegion, rt.cfg.DefaultRegion)
}

// sendCAPI sends events in one Conversions API request. The access token
// travels in the body; the logged body has it removed.
func (f *Forwarder) sendCAPI(ctx context.Context, rt *endpointRuntime, evs []*event.Event) result {
	req := capi.Request{TestEventCode: rt.cfg.TestEventCode}
	for _, ev := range evs {
		req.Data = append(req.Data, capi.Build(ev, rt.eventMap[ev.Name], f.phoneRegion(rt, ev.SiteID)))
	}
	logged, _ := json.Marshal(req)
	req.AccessToken = rt.cfg.AccessToken
	body, err := json.Marshal(req)
	if err != nil {
		return result{err: retry.Permanent(err)}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	h.Set("User-Agent", userAgent)
	r := f.do(ctx, capiURL(&rt.cfg), h, body)
	r.reqBody = logged
	r.reqHeaders = redactHeaders(h)
	if r.status != 0 && (r.status < 200 || r.status > 299) {
		ge := capi.ParseError(r.status, r.respBody)
		if ge.Retryable() {
			r.err = ge
		} else {
			r.err = retry.Permanent(ge)
		}
		r.disable = false // Graph answers 410 for gone objects; that is not our endpoint going away
	}
	if r.err != nil && errors.Is(r.err, context.Canceled) {
		return r
	}
	return r
}
