package controlplane

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"strings"

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
		out.Data = append(out.Data, eventTypeView{t.Name, string(t.Source), t.Title, publicDescription(t.Description), t.Aliases, sample})
	}
	httpjson.WriteJSON(w, http.StatusOK, out)
	return nil
}

// internalNote starts the provenance notes the schemas keep for the team
// ("[OUR PROPOSAL] … our guess and may change"); the catalog leaves them out.
const internalNote = "[OUR PROPOSAL]"

// publicDescription is a schema description without its internal note.
func publicDescription(d string) string {
	if i := strings.Index(d, internalNote); i >= 0 {
		d = d[:i]
	}
	return strings.TrimSpace(d)
}

func (m *Manager) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDoc)
	return nil
}
