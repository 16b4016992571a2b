package forwarder

import (
	"context"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/signing"
)

// A change the control plane makes for its own bookkeeping (lifecycle,
// timestamps, description) keeps the endpoint's runtime; a change to what
// is delivered builds a new one.
func TestSetEndpointsRebuildsOnlyChanged(t *testing.T) {
	secret := signing.NewSecret()
	e := newEnv(t, testConfig())
	ctx := context.Background()
	ep := webhookEP("ep", "http://127.0.0.1:1/hook", secret)
	other := webhookEP("other", "http://127.0.0.1:1/other", secret)
	if err := e.f.SetEndpoints(ctx, []endpoint.Endpoint{ep, other}); err != nil {
		t.Fatal(err)
	}
	first := e.f.routes.Load().byID
	now := time.Now()
	ep.FailingSince, ep.UpdatedAt, ep.Description = &now, now, "failing for a while"
	if err := e.f.SetEndpoints(ctx, []endpoint.Endpoint{ep, other}); err != nil {
		t.Fatal(err)
	}
	if e.f.routes.Load().byID["ep"] != first["ep"] {
		t.Error("a lifecycle-only change rebuilt the endpoint")
	}
	ep.PreviousSecrets = []endpoint.ExpiringSecret{{Secret: signing.NewSecret(), Expires: now.Add(time.Hour)}}
	if err := e.f.SetEndpoints(ctx, []endpoint.Endpoint{ep, other}); err != nil {
		t.Fatal(err)
	}
	if got := e.f.routes.Load().byID; got["ep"] == first["ep"] || got["other"] != first["other"] {
		t.Error("want ep rebuilt (new signing secret) and other kept")
	}
	// A filter is compiled once per endpoint version: a new filter
	// rebuilds, a bookkeeping change keeps the compiled one.
	ep.Filter = `data.country == "IN"`
	if err := e.f.SetEndpoints(ctx, []endpoint.Endpoint{ep, other}); err != nil {
		t.Fatal(err)
	}
	filtered := e.f.routes.Load().byID["ep"]
	if filtered.filter == nil {
		t.Fatal("filter not compiled")
	}
	ep.Description = "filtered"
	if err := e.f.SetEndpoints(ctx, []endpoint.Endpoint{ep, other}); err != nil {
		t.Fatal(err)
	}
	if got := e.f.routes.Load().byID["ep"]; got != filtered || got.filter != filtered.filter {
		t.Error("a description change compiled the filter again")
	}
}
