// Package hubspot is the exporter of HubSpot contacts (type hubspot): a
// captured lead creates or updates the contact with its e-mail as identity,
// many events per request through the CRM v3 batch upsert
// (POST {api_url}/crm/v3/objects/contacts/batch/upsert, idProperty email,
// a private app's access token as Bearer). Property mapping: properties.go;
// error classes: errors.go.
package hubspot

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/exporter/capi"
	"github.com/popinbridge/bridge/forwarder/exporter/lead"
	"github.com/popinbridge/bridge/forwarder/internal/httpsend"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/site"
)

// MaxBatch is the most inputs of one batch upsert (HubSpot's limit).
const MaxBatch = 100

// UpsertPath is the batch upsert below api_url.
const UpsertPath = "/crm/v3/objects/contacts/batch/upsert"

// defaultEvents are the events a hubspot endpoint sends unless its events
// name others outright: the leads, from the browser and from Popin.
var defaultEvents = map[string]bool{"popin_captured": true, "popin_user_captured": true}

// Exporter upserts an endpoint's leads as HubSpot contacts. Immutable once
// built; safe for concurrent use.
type Exporter struct {
	client        *httpsend.Client
	sites         site.Registry // may be nil
	url           string
	token         string
	defaultRegion string
	pmap          map[string]string
	explicit      map[string]bool
}

var _ exporter.Exporter = (*Exporter)(nil)

// New builds the exporter of an endpoint that passed endpoint.Validate
// (with defaults applied); sites gives each site's default_phone_region
// (nil: none).
func New(ep endpoint.Endpoint, client *httpsend.Client, sites site.Registry) *Exporter {
	x := &Exporter{client: client, sites: sites, token: ep.AccessToken, defaultRegion: ep.DefaultRegion,
		url: strings.TrimRight(ep.APIURL, "/") + UpsertPath, pmap: ep.Clone().PropertyMap, explicit: map[string]bool{}}
	for _, p := range ep.Events {
		if !strings.ContainsAny(p, `*?[\`) {
			x.explicit[p] = true
		}
	}
	return x
}

// Wants implements exporter.Exporter: popin_captured and
// popin_user_captured, and any other name the endpoint's events list
// outright (not through a glob or "*"): its e-mail's contact is upserted.
func (x *Exporter) Wants(name string) bool { return defaultEvents[name] || x.explicit[name] }

// MaxBatch implements exporter.Exporter.
func (x *Exporter) MaxBatch() int { return MaxBatch }

// Check implements exporter.Exporter: an event without an e-mail has no
// identity in HubSpot and is refused (ErrNoIdentity, permanent).
func (x *Exporter) Check(it exporter.Item, _ time.Time) error {
	if piinorm.Email(capi.ExtractRaw(it.Event.Data).Email) == "" { // lead.FromEvent's e-mail, without the phone

		return retry.Permanent(ErrNoIdentity)
	}
	return nil
}

// Input is one contact of a batch upsert.
type Input struct {
	IDProperty string            `json:"idProperty"`
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
}

// Request is the body of a batch upsert.
type Request struct {
	Inputs []Input `json:"inputs"`
}

// Build returns the batch of items: one input per e-mail (HubSpot refuses
// a batch naming a contact twice), properties of later events over those
// of earlier ones. Events without an e-mail are left out.
func (x *Exporter) Build(items []exporter.Item) Request {
	var req Request
	at := map[string]int{}
	for _, it := range items {
		ev := it.Event
		l := lead.FromEvent(ev, x.region(ev.SiteID))
		if l.Email == "" {
			continue
		}
		p := properties(ev, l, x.pmap)
		if i, ok := at[l.Email]; ok {
			for k, v := range p {
				req.Inputs[i].Properties[k] = v
			}
			continue
		}
		at[l.Email] = len(req.Inputs)
		req.Inputs = append(req.Inputs, Input{IDProperty: "email", ID: l.Email, Properties: p})
	}
	return req
}

// Export implements exporter.Exporter: one batch upsert of items.
func (x *Exporter) Export(ctx context.Context, items []exporter.Item) exporter.Result {
	req := x.Build(items)
	if len(req.Inputs) == 0 {
		return exporter.Result{Err: retry.Permanent(ErrNoIdentity), Request: exporter.Request{URL: x.url}}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return exporter.Result{Err: retry.Permanent(err), Request: exporter.Request{URL: x.url}}
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+x.token)
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	h.Set("User-Agent", httpsend.UserAgent)
	r := x.client.Post(ctx, nil, x.url, h, body)
	r.Request.Headers, r.Request.RawPII = httpsend.RedactHeaders(h), true
	r.Err, r.RetryAfter = classify(r.StatusCode, r.ResponseHeader, r.ResponseBody, r.Err)
	r.Gone = false // HubSpot's 410 is about an object, not the endpoint going away
	return r
}

// region is the phone region of a site's events without a country: the
// site's default_phone_region, else the endpoint's default_region.
func (x *Exporter) region(siteID string) string {
	if r := site.PhoneRegion(x.sites, siteID); r != "" {
		return r
	}
	return x.defaultRegion
}
