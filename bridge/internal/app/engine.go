package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/popinbridge/bridge/controlplane"
	"github.com/popinbridge/bridge/forwarder"
	"github.com/popinbridge/bridge/internal/event"
)

// engine adapts the forwarder to the management plane. The management
// store (a JetStream KV bucket every node shares) is the source of truth for
// endpoints, their status and their secrets; the forwarder is told the
// complete set on every change, and reports attempts back.
type engine struct {
	fwd *forwarder.Forwarder
	log *slog.Logger
	mgr func() *controlplane.Manager // set once the manager exists
}

var (
	_ controlplane.Engine = (*engine)(nil)
	_ forwarder.Observer  = (*engine)(nil)
)

// Apply implements controlplane.Engine.
func (e *engine) Apply(eps []controlplane.Endpoint) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	cfgs := make([]forwarder.EndpointConfig, 0, len(eps))
	for i := range eps {
		cfgs = append(cfgs, toForwarder(&eps[i], now))
	}
	if err := e.fwd.SetEndpoints(ctx, cfgs); err != nil {
		e.log.Error("applying endpoints to the forwarder failed", "err", err)
		return
	}
	current := map[string]string{}
	for _, info := range e.fwd.Endpoints() {
		current[info.ID] = info.Status
	}
	for i := range eps {
		want := statusOf(&eps[i])
		if current[eps[i].ID] != want {
			if err := e.fwd.SetStatus(ctx, eps[i].ID, want); err != nil {
				e.log.Error("setting endpoint status failed", "endpoint", eps[i].ID, "status", want, "err", err)
			}
		}
	}
}

// Test implements controlplane.Engine.
func (e *engine) Test(ctx context.Context, ep controlplane.Endpoint, ev event.Event) (controlplane.Attempt, error) {
	return e.fwd.Test(ctx, ep.ID, &ev)
}

// Retry implements controlplane.Engine: a dead delivery gets one new attempt with
// the same webhook-id.
func (e *engine) Retry(ctx context.Context, ep controlplane.Endpoint, d controlplane.Delivery) error {
	err := e.fwd.RetryDead(ctx, d.DeliveryID)
	if errors.Is(err, forwarder.ErrNotFound) {
		return controlplane.Refused("not_dead", fmt.Sprintf("delivery %s is not a dead letter: only deliveries that used up their retries can be retried one by one; one still retrying is retried on schedule, and a delivered one can be sent again with replay", d.DeliveryID))
	}
	return err
}

// Replay implements controlplane.Engine.
func (e *engine) Replay(ctx context.Context, ep controlplane.Endpoint, events []event.Event) error {
	return e.fwd.Redeliver(ctx, ep.ID, events)
}

// AttemptDone implements forwarder.Observer: outcomes go to the manager,
// which disables failing endpoints and sends operational webhooks.
func (e *engine) AttemptDone(a forwarder.Attempt) {
	m := e.mgr()
	if m == nil || a.Test {
		return
	}
	m.AttemptDone(context.Background(), a)
	if a.State == forwarder.StateDead {
		m.AttemptsExhausted(context.Background(), a)
	}
}

func statusOf(ep *controlplane.Endpoint) string {
	if ep.Status == "" {
		return forwarder.StatusActive
	}
	return ep.Status
}

// toForwarder converts a stored endpoint; the first unexpired rotated-out
// secret keeps signing beside the current one.
func toForwarder(ep *controlplane.Endpoint, now time.Time) forwarder.EndpointConfig {
	c := forwarder.EndpointConfig{
		ID: ep.ID, Site: ep.Site, Type: ep.Type, Events: ep.Events, Status: statusOf(ep),
		URL: ep.URL, Auth: ep.Auth, Secret: ep.Secret, Token: ep.Token, APIKeyHeader: ep.APIKeyHeader,
		Headers: ep.Headers, Template: ep.Template,
		PixelID: ep.PixelID, AccessToken: ep.AccessToken, APIVersion: ep.APIVersion, GraphURL: ep.GraphURL,
		TestEventCode: ep.TestEventCode, EventMap: ep.EventMap, DefaultRegion: ep.DefaultRegion,
		RetrySchedule: ep.RetrySchedule, Concurrency: ep.Concurrency,
	}
	for _, p := range ep.PreviousSecrets {
		if now.Before(p.Expires) {
			c.PreviousSecret, c.PreviousSecretExpiresAt = p.Secret, p.Expires
			break
		}
	}
	return c
}

// fromForwarder converts a config-file endpoint for seeding the store.
func fromForwarder(c *forwarder.EndpointConfig) controlplane.Endpoint {
	return controlplane.Endpoint{
		ID: c.ID, Site: c.Site, Type: c.Type, Events: c.Events,
		URL: c.URL, Auth: c.Auth, Secret: c.Secret, Token: c.Token, APIKeyHeader: c.APIKeyHeader,
		Headers: c.Headers, Template: c.Template,
		PixelID: c.PixelID, AccessToken: c.AccessToken, APIVersion: c.APIVersion, GraphURL: c.GraphURL,
		TestEventCode: c.TestEventCode, EventMap: c.EventMap, DefaultRegion: c.DefaultRegion,
		RetrySchedule: c.RetrySchedule, Concurrency: c.Concurrency,
	}
}

// checkTemplate validates an endpoint template the way the forwarder will
// use it, for the management API's create/update checks.
func checkTemplate(tpl string) error {
	probe := forwarder.EndpointConfig{ID: "probe", Site: "probe", Type: forwarder.TypeWebhook,
		URL: "https://example.com/", Auth: forwarder.AuthNone, Template: tpl}
	return probe.Validate(nil)
}
