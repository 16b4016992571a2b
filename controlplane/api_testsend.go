package controlplane

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/httpjson"
	"github.com/popinbridge/bridge/schemas"
)

// testRequest is the optional body of a test send.
type testRequest struct {
	Event string `json:"event"`
}

// sampleEvent builds the test event: the named type, or the first catalog
// type the endpoint subscribes to (popin_captured first for the sales
// destinations, which notify only some events).
func (m *Manager) sampleEvent(e Endpoint, name string) (event.Event, error) {
	if name == "" && (e.Type == endpoint.TypeSlack || e.Type == endpoint.TypeHubSpot) && e.Matches("popin_captured") {
		name = "popin_captured"
	}
	now := m.now().UTC()
	ev := event.Event{ID: uuid.NewString(), SiteID: e.Site, Source: event.SourceBrowser, ClientTime: now, ReceivedAt: now,
		Data: []byte(`{"uid":"test-visitor"}`), Context: event.Context{URL: "https://bridge.invalid/test", Title: "bridge test event"}}
	for _, t := range schemas.Catalog() {
		if (name != "" && t.Name == name) || (name == "" && e.Matches(t.Name)) {
			ev.Name, ev.Source, ev.Known, ev.Data = t.Name, t.Source, true, t.Sample
			return ev, nil
		}
	}
	switch {
	case name != "":
		return ev, invalid("event", "event: %q is not in the event catalog (GET /api/v1/event-types)", name)
	case len(e.Events) > 0 && !strings.ContainsAny(e.Events[0], "*?["):
		ev.Name = e.Events[0]
	default:
		ev.Name = "bridge_test"
	}
	return ev, nil
}

func (m *Manager) testEndpoint(w http.ResponseWriter, r *http.Request) error {
	e, err := m.endpointFor(r)
	if err != nil {
		return err
	}
	var req testRequest
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	if err := refuseDisabled(e); err != nil {
		return err
	}
	ev, err := m.sampleEvent(e, req.Event)
	if err != nil {
		return err
	}
	eng, err := m.engine()
	if err != nil {
		return err
	}
	a, err := eng.Test(r.Context(), e, ev)
	if err != nil {
		return fmt.Errorf("test send to %s: %w", e.ID, err)
	}
	a.Test = true
	httpjson.WriteJSON(w, http.StatusOK, a)
	return nil
}
