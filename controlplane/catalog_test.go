package controlplane

import (
	"strings"
	"testing"

	"github.com/popinbridge/bridge/schemas"
)

// TestEventCatalogHasNoInternalNotes: the schemas keep their provenance
// notes, the catalog shows what each event means without them.
func TestEventCatalogHasNoInternalNotes(t *testing.T) {
	f := newFixture(t)
	st, body := f.do("GET", "/api/v1/event-types", nil)
	if st != 200 {
		t.Fatalf("%d %v", st, body)
	}
	seen := map[string]string{}
	for _, e := range body["data"].([]any) {
		e := e.(map[string]any)
		d, _ := e["description"].(string)
		seen[e["name"].(string)] = d
		if strings.Contains(d, "PROPOSAL") || strings.Contains(d, "our guess") {
			t.Errorf("%s: internal note in %q", e["name"], d)
		}
	}
	// A type whose schema has the note keeps the rest of its description.
	noted := false
	for _, ty := range schemas.Catalog() {
		noted = noted || ty.Name == "popin_widget_open" && strings.Contains(ty.Description, internalNote)
	}
	if !noted {
		t.Fatal("popin_widget_open's schema has no internal note any more: pick another type for this check")
	}
	if d := seen["popin_widget_open"]; d != "The Popin widget was opened." {
		t.Errorf("popin_widget_open: %q", d)
	}
}
