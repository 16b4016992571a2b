package npm

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/schemas"
)

// TestEvents: every browser event of schemas/ and every alias has a payload
// type in PopinEventMap, required fields are required, and the output is the
// same on every run (it is generated at pack time, never checked in).
func TestEvents(t *testing.T) {
	d, err := Events()
	if err != nil {
		t.Fatal(err)
	}
	s := string(d)
	n := 0
	for _, et := range schemas.Catalog() {
		if et.Source != event.SourceBrowser {
			continue
		}
		n++
		iface := typeName(et.Name) + "Data"
		for _, name := range append([]string{et.Name}, et.Aliases...) {
			if want := "  " + name + ": " + iface + "\n"; !strings.Contains(s, want) {
				t.Errorf("PopinEventMap lacks %q", want)
			}
		}
		if !strings.Contains(s, "export interface "+iface+" ") {
			t.Errorf("no interface %s", iface)
		}
	}
	if n < 14 {
		t.Errorf("%d browser events in the catalog, want at least 14", n)
	}
	for _, want := range []string{
		"export interface PopinRatingDoneData {\n  /** Popin's visitor id. */\n  uid: string\n",
		"  rating: number | string\n",
		"  email?: string | null\n",
		"  captured?: {\n",
		"[field: string]: unknown",
		"popin_call_missed: PopinExpertBusyData",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("events.d.ts lacks %q", want)
		}
	}
	again, _ := Events()
	if string(again) != s {
		t.Error("Events is not deterministic")
	}
}

func TestTSType(t *testing.T) {
	for _, tc := range []struct{ schema, want string }{
		{`{"type":"string"}`, "string"},
		{`{"type":["integer","null"]}`, "number | null"},
		{`{"enum":["a",1]}`, `"a" | 1`},
		{`{"type":"array","items":{"type":"boolean"}}`, "Array<boolean>"},
		{`{"type":"array"}`, "Array<unknown>"},
		{`{}`, "unknown"},
		{`{"type":"object"}`, "Record<string, unknown>"},
		{`{"type":"object","properties":{"a-b":{"type":"string","description":"x */ y"}},"required":["a-b"],"additionalProperties":false}`,
			"{\n  /** x *\\/ y */\n  \"a-b\": string\n}"},
	} {
		var s schema
		if err := json.Unmarshal([]byte(tc.schema), &s); err != nil {
			t.Fatal(err)
		}
		if got := tsType(&s, ""); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.schema, got, tc.want)
		}
	}
}

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pkg")
	if err := Write(dir, "1.2.3-rc.1"); err != nil {
		t.Fatal(err)
	}
	var pj struct {
		Name    string
		Version string
		Types   string
		Exports map[string]json.RawMessage
		Files   []string
	}
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &pj); err != nil {
		t.Fatal(err)
	}
	if pj.Version != "1.2.3-rc.1" || pj.Name != "@popinbridge/sdk" || pj.Types != "./index.d.ts" {
		t.Errorf("package.json: %+v", pj)
	}
	if e := string(pj.Exports["."]); !strings.Contains(e, `"import": "./index.mjs"`) || !strings.Contains(e, `"default": "./sdk.js"`) {
		t.Errorf("exports[.] = %s", e)
	}
	// Every file package.json names is written, and nothing else.
	ents, _ := os.ReadDir(dir)
	if len(ents) != len(pj.Files)+1 {
		t.Errorf("%d files written, package.json lists %d (+ itself)", len(ents), len(pj.Files))
	}
	for _, f := range pj.Files {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	mjs, _ := os.ReadFile(filepath.Join(dir, "index.mjs"))
	for _, want := range []string{" as init", " as track", " as identify", " as consent", " as flush"} {
		if !strings.Contains(string(mjs), want) {
			t.Errorf("index.mjs does not export %q", want)
		}
	}
	// The module reads no script tag: that is the IIFE's entry.
	if strings.Contains(string(mjs), "currentScript") {
		t.Error("index.mjs contains the script-tag entry")
	}
	if err := Write(dir, "v1"); err == nil {
		t.Error("version v1 accepted")
	}
}
