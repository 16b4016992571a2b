package forwarder

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/exporter/capi"
	"github.com/popinbridge/bridge/forwarder/exporter/ga4"
	"github.com/popinbridge/bridge/forwarder/exporter/hubspot"
	"github.com/popinbridge/bridge/forwarder/exporter/slack"
	"github.com/popinbridge/bridge/forwarder/exporter/tiktok"
	"github.com/popinbridge/bridge/forwarder/exporter/webhook"
	"github.com/popinbridge/bridge/forwarder/internal/httpsend"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/endpoint/rules"
	"github.com/popinbridge/bridge/internal/retry"
)

// endpointRuntime is an endpoint ready to deliver: its declaration (with
// defaults), its exporter and its retry policy. Immutable once built.
type endpointRuntime struct {
	cfg      endpoint.Endpoint
	exp      exporter.Exporter
	schedule retry.Schedule
	conc     int
	// filter is the compiled filter (nil: none) and filtered counts the
	// events it kept away.
	filter   *rules.Filter
	filtered prometheus.Counter
	// owned are the HTTP clients made for this runtime alone (egress.go),
	// closed when it is replaced.
	owned []*httpsend.Client
}

// newExporter builds the exporter of an endpoint's type: a new destination
// type is one more case here and a package under exporter/.
// client is the endpoint's HTTP client (egress.go).
func (f *Forwarder) newExporter(ep endpoint.Endpoint, client *httpsend.Client) (exporter.Exporter, error) {
	switch ep.Type {
	case endpoint.TypeWebhook:
		return webhook.New(ep, client)
	case endpoint.TypeFacebookCAPI:
		return capi.New(ep, client, f.set.Sites, f.cfg.CAPIBatchSize), nil
	case endpoint.TypeSlack:
		return slack.New(ep, client, f.set.Sites), nil
	case endpoint.TypeHubSpot:
		return hubspot.New(ep, client, f.set.Sites), nil
	case endpoint.TypeGA4:
		return ga4.New(ep, client), nil
	case endpoint.TypeTikTok:
		return tiktok.New(ep, client, f.set.Sites, f.cfg.CAPIBatchSize), nil
	}
	return nil, fmt.Errorf("type: %q has no exporter", ep.Type)
}

// buildRuntime compiles an endpoint that passed endpoint.Validate.
func buildRuntime(c endpoint.Endpoint, f *Forwarder) (*endpointRuntime, error) {
	c = c.Clone()
	c.ApplyDefaults()
	rt := &endpointRuntime{cfg: c, conc: f.cfg.Concurrency}
	if c.Concurrency > 0 {
		rt.conc = c.Concurrency
	}
	sched := f.p.schedule
	if len(c.RetrySchedule) > 0 {
		var err error
		if sched, err = endpoint.ParseSchedule(c.RetrySchedule); err != nil {
			return nil, fmt.Errorf("retry_schedule: %w", err)
		}
	}
	rt.schedule = retry.Schedule{Delays: sched, Jitter: f.cfg.RetryJitter, MaxRetryAfter: f.p.maxRetryAfter}
	if c.Filter != "" {
		flt, err := rules.CompileFilter(c.Filter)
		if err != nil {
			return nil, fmt.Errorf("filter: %w", err)
		}
		rt.filter, rt.filtered = flt, f.m.filtered.WithLabelValues(c.ID)
	}
	client, owned, err := f.clientFor(&c, rt.conc)
	if err != nil {
		return nil, err
	}
	exp, err := f.newExporter(c, client)
	if err != nil {
		for _, o := range owned {
			o.CloseIdle()
		}
		return nil, err
	}
	rt.owned = owned
	rt.exp = exp
	return rt, nil
}

// wants reports whether an event of this name is delivered to the endpoint.
func (rt *endpointRuntime) wants(siteID, name string) bool {
	return rt.cfg.Site == siteID && rt.cfg.Matches(name) && rt.exp.Wants(name)
}

// single says the exporter takes one event per request: such endpoints
// get first attempts on the fast path (fastpath.go) and queued deliveries one
// by one; the others get batches from the queue.
func (rt *endpointRuntime) single() bool { return rt.exp.MaxBatch() == 1 }

func (rt *endpointRuntime) active() bool { return rt.cfg.Active() }
