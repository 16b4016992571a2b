package controlplane

import (
	"strings"
	"testing"
)

// TestTemplatePreview: a template renders against the catalog sample of the
// type asked for (popin_captured by default), an empty one gives the default
// body, and a bad one or an unknown type is a 422 naming the field.
func TestTemplatePreview(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name   string
		req    map[string]any
		status int
		check  func(body map[string]any) bool
		field  string
	}{
		{"template on the sample lead", map[string]any{"template": `{"email": "{{.data.email}}", "kind": "{{.type}}", "n": "{{len .data}}"}`}, 200,
			func(b map[string]any) bool {
				o, _ := b["body"].(map[string]any)
				return b["event"] == "popin_captured" && o["kind"] == "popin_captured" && strings.Contains(o["email"].(string), "@") && o["n"].(float64) > 0
			}, ""},
		{"other type", map[string]any{"template": `{"t": "{{.type}}"}`, "event": "nudge_show"}, 200,
			func(b map[string]any) bool { o, _ := b["body"].(map[string]any); return o["t"] == "nudge_show" }, ""},
		{"default body", map[string]any{}, 200,
			func(b map[string]any) bool {
				o, _ := b["body"].(map[string]any)
				return o["type"] == "popin_captured" && o["data"] != nil
			}, ""},
		{"not JSON", map[string]any{"template": `{"a": `}, 422, nil, "template"},
		{"bad action", map[string]any{"template": `{"a": "{{.data.email"}`}, 422, nil, "template"},
		{"unknown type", map[string]any{"template": `{}`, "event": "no_such_event"}, 422, nil, "event"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, body := f.do("POST", "/api/v1/templates/preview", c.req)
			if st != c.status {
				t.Fatalf("%d %v", st, body)
			}
			if c.field != "" && errField(body) != c.field {
				t.Fatalf("field %q, want %q: %v", errField(body), c.field, body)
			}
			if c.check != nil && !c.check(body) {
				t.Fatalf("body %v", body)
			}
		})
	}
}
