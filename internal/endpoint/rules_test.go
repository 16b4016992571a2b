package endpoint

import (
	"strings"
	"testing"
)

// TestValidateRules: filter and transform compile at validation time; a
// bad one is reported under its field with the position in the expression.
func TestValidateRules(t *testing.T) {
	cases := []struct {
		name      string
		ep        Endpoint
		wantField string
		wantMsg   string
	}{
		{"filter ok", webhook(func(e *Endpoint) { e.Filter = `name == "popin_captured" && data.country == "IN"` }), "", ""},
		{"transform ok", webhook(func(e *Endpoint) { e.Transform = `{"email": data.email, "event": name}` }), "", ""},
		{"capi filter ok", capiEndpoint(func(e *Endpoint) { e.Filter = `ctx.country == "IN"` }), "", ""},
		{"filter unknown name", webhook(func(e *Endpoint) { e.Filter = `nme == "x"` }), "filter", "filter: line 1, column 1: unknown name nme"},
		{"filter line 2", webhook(func(e *Endpoint) { e.Filter = "name == \"a\" ||\n  data.n > \"x\" + 1" }), "filter", "filter: line 2, column 16:"},
		{"filter not bool", webhook(func(e *Endpoint) { e.Filter = `name` }), "filter", "expected bool"},
		{"transform syntax", webhook(func(e *Endpoint) { e.Transform = `{"a": }` }), "transform", "transform: line 1, column 7:"},
		{"transform not map", webhook(func(e *Endpoint) { e.Transform = `name` }), "transform", "expected map"},
		{"transform with template", webhook(func(e *Endpoint) { e.Template, e.Transform = `{"e":"{{.Name}}"}`, `data` }), "transform", "not both"},
		{"capi transform", capiEndpoint(func(e *Endpoint) { e.Transform = `data` }), "transform", "only for type webhook"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.ep.Validate(Checks{})
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			probs := Problems(err)
			if len(probs) != 1 || probs[0].Field != tc.wantField || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("want one %s problem with %q, got %v", tc.wantField, tc.wantMsg, err)
			}
		})
	}
}
