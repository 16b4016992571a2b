package capi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/internal/httpsend"
	"github.com/popinbridge/bridge/internal/consent"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/site"
)

// Exporter sends an endpoint's events to the Conversions API, many per
// request. Immutable once built; safe for concurrent use.
type Exporter struct {
	client        *httpsend.Client
	sites         site.Registry // may be nil
	url           string
	accessToken   string
	testEventCode string
	defaultRegion string
	eventMap      map[string]string
	batch         int
	ldu           *consent.LimitedDataUse // nil: the site's (Limited Data Use)
}

var (
	_ exporter.Exporter = (*Exporter)(nil)
	_ exporter.Sampler  = (*Exporter)(nil)
)

// New compiles an endpoint that passed endpoint.Validate. batch is the
// most events per request (forwarder.capi_batch_size, at most MaxBatch);
// sites gives each site's default_phone_region (nil: none).
func New(ep endpoint.Endpoint, client *httpsend.Client, sites site.Registry, batch int) *Exporter {
	m := DefaultEventMap()
	for k, v := range ep.EventMap {
		m[k] = v
	}
	return &Exporter{client: client, sites: sites, accessToken: ep.AccessToken, testEventCode: ep.TestEventCode, ldu: ep.Clone().LimitedDataUse,
		defaultRegion: ep.DefaultRegion, eventMap: m, batch: min(max(batch, 1), MaxBatch),
		// POST {graph_url}/{api_version}/{pixel_id}/events
		url: strings.TrimRight(ep.GraphURL, "/") + "/" + ep.APIVersion + "/" + ep.PixelID + "/events"}
}

// Wants implements exporter.Exporter: names mapped to a Meta event.
func (x *Exporter) Wants(name string) bool { return x.eventMap[name] != "" }

// MaxBatch implements exporter.Exporter.
func (x *Exporter) MaxBatch() int { return x.batch }

// Check implements exporter.Exporter: Meta refuses events older than seven
// days, so they are not sent.
func (x *Exporter) Check(it exporter.Item, now time.Time) error {
	if TooOld(it.Event, now) {
		return retry.Permanent(fmt.Errorf("event_time %s is older than Meta accepts (7 days); not sent",
			EventTime(it.Event).UTC().Format(time.RFC3339)))
	}
	return nil
}

// SampleName implements exporter.Sampler (exporter.SampleOf).
func (x *Exporter) SampleName() string { return exporter.SampleOf(x.eventMap) }

// Export implements exporter.Exporter: one request for every item. The
// access token travels in the body; the logged body has it removed.
func (x *Exporter) Export(ctx context.Context, items []exporter.Item) exporter.Result {
	req := Request{TestEventCode: x.testEventCode}
	for _, it := range items {
		se := Build(it.Event, x.eventMap[it.Event.Name], x.phoneRegion(it.Event.SiteID))
		if l := x.limitedDataUse(it.Event.SiteID); l != nil {
			se.LimitedDataUse(l.Country, l.State)
		}
		req.Data = append(req.Data, se)
	}
	logged, _ := json.Marshal(req)
	req.AccessToken = x.accessToken
	body, err := json.Marshal(req)
	if err != nil {
		return exporter.Result{Err: retry.Permanent(err), Request: exporter.Request{URL: x.url}}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	h.Set("User-Agent", httpsend.UserAgent)
	r := x.client.Post(ctx, nil, x.url, h, body)
	r.Request.Body, r.Request.Headers = logged, httpsend.RedactHeaders(h)
	if r.StatusCode != 0 && (r.StatusCode < 200 || r.StatusCode > 299) {
		ge := ParseError(r.StatusCode, r.ResponseBody)
		if ge.Retryable() {
			r.Err = ge
		} else {
			r.Err = retry.Permanent(ge)
		}
		r.Gone = false // Graph answers 410 for gone objects; that is not the endpoint going away
	}
	return r
}

// limitedDataUse is the endpoint's limited_data_use, else its site's; nil:
// none.
func (x *Exporter) limitedDataUse(siteID string) *consent.LimitedDataUse {
	if x.ldu != nil || x.sites == nil {
		return x.ldu
	}
	if s, ok := x.sites.ByID(siteID); ok {
		return s.LimitedDataUse
	}
	return nil
}

// phoneRegion is the default Build passes to piinorm.PhoneRegion after the
// event's own countries: the site's default_phone_region, else the
// endpoint's default_region.
func (x *Exporter) phoneRegion(siteID string) string {
	return piinorm.PhoneRegion(piinorm.EventCountries{}, site.PhoneRegion(x.sites, siteID), x.defaultRegion)
}
