package tiktok

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/internal/httpsend"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/site"
)

// Exporter sends an endpoint's events to the TikTok Events API, many per
// request. Immutable once built; safe for concurrent use.
type Exporter struct {
	client        *httpsend.Client
	sites         site.Registry // may be nil
	url           string
	accessToken   string
	pixelCode     string
	testEventCode string
	defaultRegion string
	eventMap      map[string]string
	batch         int
}

var (
	_ exporter.Exporter = (*Exporter)(nil)
	_ exporter.Sampler  = (*Exporter)(nil)
)

// New compiles an endpoint that passed endpoint.Validate (defaults
// applied). batch is the most events per request (forwarder.capi_batch_size,
// at most MaxBatch); sites gives each site's default_phone_region.
func New(ep endpoint.Endpoint, client *httpsend.Client, sites site.Registry, batch int) *Exporter {
	m := DefaultEventMap()
	for k, v := range ep.EventMap {
		m[k] = v
	}
	return &Exporter{client: client, sites: sites, accessToken: ep.AccessToken, pixelCode: ep.PixelCode,
		testEventCode: ep.TestEventCode, defaultRegion: ep.DefaultRegion, eventMap: m, batch: min(max(batch, 1), MaxBatch),
		url: strings.TrimRight(ep.APIURL, "/") + "/open_api/v1.3/event/track/"}
}

// Wants implements exporter.Exporter: names mapped to a TikTok event.
func (x *Exporter) Wants(name string) bool { return x.eventMap[name] != "" }

// MaxBatch implements exporter.Exporter.
func (x *Exporter) MaxBatch() int { return x.batch }

// Check implements exporter.Exporter: every mapped event is sendable.
func (x *Exporter) Check(exporter.Item, time.Time) error { return nil }

// SampleName implements exporter.Sampler (exporter.SampleOf).
func (x *Exporter) SampleName() string { return exporter.SampleOf(x.eventMap) }

// Body is the request for items.
func (x *Exporter) Body(items []exporter.Item) Request {
	req := Request{EventSource: "web", EventSourceID: x.pixelCode, TestEventCode: x.testEventCode}
	for _, it := range items {
		req.Data = append(req.Data, Build(it.Event, x.eventMap[it.Event.Name], x.phoneRegion(it.Event.SiteID)))
	}
	return req
}

// Export implements exporter.Exporter: one request for every item. A 2xx
// answer whose code is not 0 fails the attempt (APIError.Retryable
// decides); TikTok refuses a whole batch for one bad event, and the
// pipeline then sends the items one by one.
func (x *Exporter) Export(ctx context.Context, items []exporter.Item) exporter.Result {
	body, err := json.Marshal(x.Body(items))
	if err != nil {
		return exporter.Result{Err: retry.Permanent(err), Request: exporter.Request{URL: x.url}}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Access-Token", x.accessToken)
	h.Set("User-Agent", httpsend.UserAgent)
	r := x.client.Post(ctx, nil, x.url, h, body)
	r.Request.Headers = httpsend.RedactHeaders(h, "Access-Token")
	r.Gone = false // a 410 from TikTok is not the endpoint asking to be disabled
	if r.Err == nil {
		if ae := ParseAnswer(r.ResponseBody); ae != nil {
			r.Err = ae
			if !ae.Retryable() {
				r.Err = retry.Permanent(ae)
			}
		}
	}
	return r
}

// phoneRegion: the site's default_phone_region, else the endpoint's
// default_region (after the event's own countries, see Build).
func (x *Exporter) phoneRegion(siteID string) string {
	return piinorm.PhoneRegion(piinorm.EventCountries{}, site.PhoneRegion(x.sites, siteID), x.defaultRegion)
}

// MatchKeys implements exporter.MatchKeyer: the user keys Export sends for
// ev, comma-separated (email, phone, external_id, ttclid, ip, user_agent).
func (x *Exporter) MatchKeys(ev *event.Event) string {
	u := Build(ev, "", x.phoneRegion(ev.SiteID)).User
	var keys []string
	for _, k := range []struct {
		name, v string
	}{{"email", u.Email}, {"phone", u.Phone}, {"external_id", u.ExternalID}, {"ttclid", u.TTCLID}, {"ip", u.IP}, {"user_agent", u.UserAgent}} {
		if k.v != "" {
			keys = append(keys, k.name)
		}
	}
	return strings.Join(keys, ",")
}
