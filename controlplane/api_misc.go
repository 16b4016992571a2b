package controlplane

import (
	_ "embed"
	"encoding/json"
	"net/http"

	"github.com/popinbridge/bridge/internal/httpjson"
	"github.com/popinbridge/bridge/schemas"
)

//go:embed openapi.json
var openAPIDoc []byte

// eventTypeView is one catalog entry.
type eventTypeView struct {
	Name        string          `json:"name"`
	Source      string          `json:"source"`
	Title       string          `json:"title,omitempty"`
	Description string          `json:"description,omitempty"`
	Aliases     []string        `json:"aliases,omitempty"`
	Sample      json.RawMessage `json:"sample"`
}

func (m *Manager) eventTypes(w http.ResponseWriter, r *http.Request) error {
	out := list[eventTypeView]{Data: []eventTypeView{}}
	for _, t := range schemas.Catalog() {
		sample := t.Sample
		if len(sample) == 0 {
			sample = json.RawMessage("{}")
		}
		out.Data = append(out.Data, eventTypeView{t.Name, string(t.Source), t.Title, t.Description, t.Aliases, sample})
	}
	httpjson.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (m *Manager) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDoc)
	return nil
}
