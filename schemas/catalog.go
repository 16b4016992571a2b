package schemas

import (
	"encoding/json"
	"slices"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/popinbridge/bridge/internal/event"
)

// EventType describes one known event. Values returned by Lookup are shared:
// callers must not modify them (Catalog returns copies).
type EventType struct {
	Name        string       `json:"name"`
	Source      event.Source `json:"source"` // event.SourceBrowser or event.SourcePopinServer
	Aliases     []string     `json:"aliases,omitempty"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	// Proposed is true when Popin's documentation describes the event but its
	// name could not be found, so Name is our guess.
	Proposed bool `json:"proposed,omitempty"`
	// Sample is a realistic data payload, the schema's first example.
	Sample json.RawMessage `json:"sample"`
	// Schema is the JSON Schema document itself.
	Schema json.RawMessage `json:"-"`

	compiled *jsonschema.Schema
	relevant map[string]string // see RelevantKeys
	shape    *Shape            // see Shape
}

type key struct {
	source event.Source
	name   string
}

// registry is the compiled set of schemas.
type registry struct {
	types []*EventType       // catalog order
	byKey map[key]*EventType // names and aliases
	batch *jsonschema.Schema
}

// Lookup finds the event type for a name, resolving aliases: the browser
// name popin_call_missed gives popin_expert_busy. Events keep the name they
// arrived with; Lookup only tells which schema applies. Sources other than
// browser and popin_server have no schemas.
func Lookup(source event.Source, name string) (*EventType, bool) {
	reg, err := load()
	if err != nil {
		return nil, false
	}
	t, ok := reg.byKey[key{source, name}]
	return t, ok
}

// Catalog lists every known event type, browser events first, each in the
// order of Popin's documentation. The result is a fresh copy.
func Catalog() []EventType {
	reg, err := load()
	if err != nil {
		return nil
	}
	out := make([]EventType, 0, len(reg.types))
	for _, t := range reg.types {
		c := *t
		c.Aliases = slices.Clone(t.Aliases)
		c.Sample = slices.Clone(t.Sample)
		c.Schema = slices.Clone(t.Schema)
		out = append(out, c)
	}
	return out
}
