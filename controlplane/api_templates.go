package controlplane

import (
	"encoding/json"
	"net/http"

	"github.com/popinbridge/bridge/internal/httpjson"
	"github.com/popinbridge/bridge/internal/payload"
)

// previewEvent is the catalog type a template preview renders by default.
const previewEvent = "popin_captured"

// previewRequest is the body of POST /api/v1/templates/preview.
type previewRequest struct {
	Template string `json:"template"`
	// Event names the catalog type whose sample is rendered (default
	// popin_captured).
	Event string `json:"event"`
}

// previewResult is the body a webhook receiver would get for the sample:
// the template's, or the default body when the template is empty.
type previewResult struct {
	Event string          `json:"event"`
	Body  json.RawMessage `json:"body"`
}

// previewTemplate renders a webhook template against the event catalog's
// sample of a type, as a test send of that type would build it, sending
// nothing. A template that does not parse or render is a 422 naming the
// field template.
func (m *Manager) previewTemplate(w http.ResponseWriter, r *http.Request) error {
	var req previewRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	if req.Event == "" {
		req.Event = previewEvent
	}
	ev, err := m.sampleEvent(Endpoint{Site: "sample"}, req.Event)
	if err != nil {
		return err
	}
	var body []byte
	if req.Template == "" {
		body, err = payload.DefaultBody(&ev)
	} else {
		var t *payload.Template
		if t, err = payload.Parse(req.Template); err == nil {
			body, err = t.Render(&ev)
		}
		if err != nil {
			return invalid("template", "%v", err)
		}
	}
	if err != nil {
		return err
	}
	httpjson.WriteJSON(w, http.StatusOK, previewResult{Event: ev.Name, Body: body})
	return nil
}
