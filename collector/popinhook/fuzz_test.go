package popinhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics, that its errors are short and
// classified, and that every event it returns is well formed: a UUID, a
// name, and Data that is a JSON object holding the body's members; and that
// the id does not change when the body is re-indented.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Parse("acme", body, received)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if errors.Is(err, ErrMalformed) == errors.Is(err, ErrInvalid) {
				t.Fatalf("error is not exactly one of malformed/invalid: %v", err)
			}
			if strings.Contains(err.Error(), "\n") || len(err.Error()) > 200 {
				t.Fatalf("error too long or multi-line: %q", err)
			}
			return
		}
		if !uuidRE.MatchString(ev.ID) {
			t.Fatalf("bad id %q", ev.ID)
		}
		if ev.Name == "" || len(ev.Name) > maxNameLen {
			t.Fatalf("bad name %q", ev.Name)
		}
		if !json.Valid(ev.Data) || !utf8.Valid(ev.Data) {
			t.Fatalf("Data not valid JSON: %s", ev.Data)
		}
		var got, want map[string]json.RawMessage
		if err := json.Unmarshal(ev.Data, &got); err != nil {
			t.Fatalf("Data is not an object: %v", err)
		}
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("Parse accepted a body encoding/json refuses: %v", err)
		}
		delete(want, parsedKey)
		if p, ok := got[parsedKey]; ok {
			var m map[string]string
			if err := json.Unmarshal(p, &m); err != nil || len(m) == 0 {
				t.Fatalf("bridge_parsed is not a non-empty object of strings: %s", p)
			}
			delete(got, parsedKey)
		}
		for k, v := range want {
			if !bytes.Equal(bytes.TrimSpace(got[k]), bytes.TrimSpace(v)) {
				t.Fatalf("Data[%q] = %s, body has %s", k, got[k], v)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("Data has %d members, body %d", len(got), len(want))
		}
		again, err := Parse("acme", body, received)
		if err != nil || again.ID != ev.ID || !bytes.Equal(again.Data, ev.Data) {
			t.Fatal("Parse is not deterministic")
		}
		// The id depends on what the body says, not on its layout.
		indented, err := json.MarshalIndent(json.RawMessage(body), "", "  ")
		if err != nil {
			t.Fatalf("re-indenting an accepted body: %v", err)
		}
		if re, err := Parse("acme", indented, received); err != nil || re.ID != ev.ID {
			t.Fatalf("re-indented body: id %s (%v), want %s", re.ID, err, ev.ID)
		}
	})
}
