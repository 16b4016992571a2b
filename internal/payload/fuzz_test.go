package payload

import (
	"encoding/json"
	"testing"
)

// FuzzTemplate: any template source either fails Parse with an error or
// compiles into a template whose output for the sample event is valid JSON;
// nothing panics.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		`{"e":"{{.Name}}"}`,
		`{"email":"{{.Data.email}}","n":[1,2,{"x":"{{.ID}}"}]}`,
		`{"t":"{{.ReceivedAt}}","u":"{{.Context.URL}}"}`,
		`"{{.Name}}"`,
		`{"e":"{{if .Known}}k{{else}}u{{end}}"}`,
		`{`, `{"e":"{{"}`, `{"e":"{{.Nope.Nope}}"}`, `[]`, `null`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := Parse(src)
		if err != nil {
			return
		}
		out, err := tmpl.Render(Sample())
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("template %q rendered invalid JSON: %q", src, out)
		}
	})
}
