package schemas

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/popinbridge/bridge/internal/event"
)

func TestEmbeddedSchemasCompile(t *testing.T) {
	if _, err := load(); err != nil {
		t.Fatal(err)
	}
	cat := Catalog()
	var browser, popin int
	for _, et := range cat {
		switch et.Source {
		case event.SourceBrowser:
			browser++
		case event.SourcePopinServer:
			popin++
		default:
			t.Errorf("%s: source %q", et.Name, et.Source)
		}
		if et.Title == "" || et.Description == "" || len(et.Sample) == 0 || len(et.Schema) == 0 {
			t.Errorf("%s: title, description, sample and schema must all be set", et.Name)
		}
	}
	if browser != 14 || popin != 11 {
		t.Fatalf("catalog has %d browser and %d popin events, want 14 and 11", browser, popin)
	}
	if cat[0].Name != "nudge_show" || cat[14].Name != "popin_call_successful" {
		t.Errorf("catalog order: first %q, 15th %q", cat[0].Name, cat[14].Name)
	}
}

func TestEveryExampleValidates(t *testing.T) {
	for _, et := range Catalog() {
		known, err := Validate(et.Source, et.Name, et.Sample)
		if !known || err != nil {
			t.Errorf("%s/%s sample: known=%v err=%v", et.Source, et.Name, known, err)
		}
		var obj map[string]any
		if err := json.Unmarshal(et.Sample, &obj); err != nil {
			t.Errorf("%s: sample is not an object: %v", et.Name, err)
		}
	}
	// batch.json's own example.
	raw, err := files.ReadFile("batch.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Examples []json.RawMessage }
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc.Examples) == 0 {
		t.Fatalf("batch.json examples: %v", err)
	}
	if err := ValidateBatch(doc.Examples[0]); err != nil {
		t.Errorf("batch example: %v", err)
	}
}

func TestCatalogIsACopy(t *testing.T) {
	a := Catalog()
	a[0].Sample[0] = 'X'
	a[5].Aliases[0] = "changed"
	b := Catalog()
	if b[0].Sample[0] == 'X' || b[5].Aliases[0] == "changed" {
		t.Fatal("Catalog returned shared memory")
	}
}

func TestAliasesAndLookup(t *testing.T) {
	tests := []struct {
		source event.Source
		name   string
		want   string // "" = not found
	}{
		{event.SourceBrowser, "popin_expert_busy", "popin_expert_busy"},
		{event.SourceBrowser, "popin_call_missed", "popin_expert_busy"},
		{event.SourcePopinServer, "popin_call_missed", "popin_call_missed"}, // the webhook, not the alias
		{event.SourcePopinServer, "popin_expert_busy", ""},
		{event.SourceBrowser, "popin_call_successful", ""},
		{event.SourceBrowser, "popin_screen_change", "popin_screen_change"},
		{event.SourceCustom, "nudge_show", ""},
		{event.SourceBrowser, "", ""},
		{event.SourceBrowser, "NUDGE_SHOW", ""},
	}
	for _, tt := range tests {
		et, ok := Lookup(tt.source, tt.name)
		got := ""
		if ok {
			got = et.Name
		}
		if got != tt.want {
			t.Errorf("Lookup(%s, %q) = %q, want %q", tt.source, tt.name, got, tt.want)
		}
	}
	et, _ := Lookup(event.SourceBrowser, "popin_expert_busy")
	if len(et.Aliases) != 1 || et.Aliases[0] != "popin_call_missed" {
		t.Errorf("aliases = %v", et.Aliases)
	}
	if p, _ := Lookup(event.SourceBrowser, "popin_widget_open"); !p.Proposed {
		t.Error("popin_widget_open should be marked as our proposal")
	}
	if p, _ := Lookup(event.SourceBrowser, "nudge_show"); p.Proposed {
		t.Error("nudge_show is Popin's documented name")
	}
}

func TestUnknownNamesAreAcceptedAndFlagged(t *testing.T) {
	for _, tt := range []struct {
		source event.Source
		name   string
		data   string
	}{
		{event.SourceBrowser, "popin_something_new", `{"uid":"u"}`},
		{event.SourceBrowser, "popin_something_new", `not json at all`},
		{event.SourcePopinServer, "popin_call_exploded", `[]`},
		{event.SourceCustom, "add_to_cart", `{"sku":"x"}`},
	} {
		known, err := Validate(tt.source, tt.name, json.RawMessage(tt.data))
		if known || err != nil {
			t.Errorf("Validate(%s, %s) = %v, %v; want false, nil", tt.source, tt.name, known, err)
		}
	}
}

func TestBuildReportsBrokenSchemas(t *testing.T) {
	good, _ := files.ReadFile("batch.json")
	fsys := fstest.MapFS{
		"browser/nudge_show.json":  {Data: []byte(`{"$id": "` + baseURL + `browser/nudge_show.json", "type": 7}`)},
		"browser/extra_thing.json": {Data: []byte(`{}`)},
		"batch.json":               {Data: good},
	}
	_, err := build(fsys)
	if err == nil {
		t.Fatal("build accepted broken schemas")
	}
	for _, want := range []string{"browser/nudge_show.json", "extra_thing.json: not listed", "nudge_open.json"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestValidationErrorIsShort(t *testing.T) {
	_, err := Validate(event.SourceBrowser, "popin_rating_done", json.RawMessage(`{"uid":"u","rating":"secret-value-5"}`))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v (%T), want *ValidationError", err, err)
	}
	if ve.Field != "data/rating" {
		t.Errorf("Field = %q", ve.Field)
	}
	if strings.Contains(err.Error(), "secret-value") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error leaks the value or is multi-line: %q", err)
	}
}

// TestRelevantKeys checks which schemas allow validating a reduced object:
// every embedded one does today, and a schema with any keyword that may
// look at other properties does not.
func TestRelevantKeys(t *testing.T) {
	for _, et := range Catalog() {
		keys := et.RelevantKeys()
		if keys == nil {
			t.Errorf("%s: RelevantKeys is nil", et.Name)
		}
		if et.Name == "popin_rating_done" {
			if _, ok := keys["rating"]; !ok {
				t.Errorf("popin_rating_done: rating not relevant: %v", keys)
			}
		}
	}
	for doc, want := range map[string]bool{
		`{"type":"object","properties":{"a":{}},"required":["b"],"x-proposal":true}`: true,
		`{"properties":{"a":{}},"additionalProperties":true,"title":"t"}`:            true,
		`{"properties":{"a":{}},"additionalProperties":false}`:                       false,
		`{"properties":{"a":{}},"additionalProperties":{"type":"string"}}`:           false,
		`{"patternProperties":{"^a":{}}}`:                                            false,
		`{"maxProperties":3}`:                                                        false,
		`{"propertyNames":{"maxLength":3}}`:                                          false,
		`{"allOf":[{"required":["a"]}]}`:                                             false,
		`{"unevaluatedProperties":false}`:                                            false,
		`{"$ref":"#/$defs/x"}`:                                                       false,
		`[]`:                                                                         false,
	} {
		if got := relevantKeys([]byte(doc)) != nil; got != want {
			t.Errorf("relevantKeys(%s) != nil is %v, want %v", doc, got, want)
		}
	}
	keys := relevantKeys([]byte(`{"properties":{"a":{}},"required":["b"]}`))
	if len(keys) != 2 || keys["a"] != "a" || keys["b"] != "b" {
		t.Errorf("keys = %v, want a and b", keys)
	}
}
