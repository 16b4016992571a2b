package payload

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/popinbridge/bridge/internal/event"
)

func TestDefaultBody(t *testing.T) {
	b, err := DefaultBody(Sample())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "type", "timestamp", "site", "source", "data", "context"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing %s in %s", k, b)
		}
	}
	if m["timestamp"] != "2026-01-02T03:04:05Z" || m["type"] != "popin_captured" || m["source"] != "browser" {
		t.Errorf("body %s", b)
	}
	ev := Sample()
	ev.Data = json.RawMessage("not json")
	if b, _ := DefaultBody(ev); !json.Valid(b) {
		t.Errorf("invalid data not replaced: %s", b)
	}
}

func TestTemplate(t *testing.T) {
	evil := Sample()
	evil.Data = json.RawMessage(`{"name":"Ro\"bert\"}, {\"x\": 1","email":"a@b.c\n\u003cscript\u003e","n":3,"nested":{"k":[1,2]}}`)
	for _, tc := range []struct {
		name, src string
		ev        *event.Event
		want      string
	}{
		{"typed leaves", `{"e":"{{.data.email}}","n":"{{.data.n}}","obj":"{{.data.nested}}","missing":"{{.data.nope}}","deep":"{{.data.nope.deeper}}","lit":7,"arr":["{{.type}}", true]}`, evil,
			`{"arr":["popin_captured",true],"deep":null,"e":"a@b.c\n\u003cscript\u003e","lit":7,"missing":null,"n":3,"obj":{"k":[1,2]}}`},
		{"text leaves escape", `{"s":"Name: {{.data.name}} ({{.data.nope}})","u":"{{.data.email | upper}}!"}`, evil,
			`{"s":"Name: Ro\"bert\"}, {\"x\": 1 ()","u":"A@B.C\n\u003cSCRIPT\u003e!"}`},
		{"hubspot", `{"fields":[{"name":"email","value":"{{.data.email}}"},{"name":"firstname","value":"{{.data.name}}"}],"context":{"pageUri":"{{.context.url}}"}}`, Sample(),
			`{"context":{"pageUri":"https://www.example.com/p/1"},"fields":[{"name":"email","value":"asha@example.com"},{"name":"firstname","value":"Asha Rao"}]}`},
		{"default func", `{"x":"{{default \"none\" .data.nope}}","t":"{{unix .timestamp}}"}`, Sample(), `{"t":1767323045,"x":"none"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := Parse(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			b, err := tpl.Render(tc.ev)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("got  %s\nwant %s", b, tc.want)
			}
		})
	}
}

func TestTemplateRejects(t *testing.T) {
	for _, src := range []string{``, `{`, `{"a":"{{.x"}`, `{"a":1} {"b":2}`, `{"a":"{{nofunc .x}}"}`, strings.Repeat(" ", MaxTemplateBytes+1)} {
		if _, err := Parse(src); err == nil {
			t.Errorf("Parse(%q) accepted", src)
		}
	}
}

// TestDefaultBodyMatchesMarshal: the one-pass writer gives the bytes of
// json.Marshal(Default{…}).
func TestDefaultBodyMatchesMarshal(t *testing.T) {
	odd := "a\"b\\c<d>&e\n\t\x01\x1f é \u2028\u2029 \xff\xfe 💥"
	for i, data := range []string{`{"a": 1, "b": [1, 2], "s": "x<y"}`, ``, `  `, `not json`, `{"a":`, `[1]`, `"str"`, `{}`} {
		ev := Sample()
		ev.ID, ev.Name, ev.SiteID = "id-"+odd, "n"+odd, "s"+odd
		ev.Data = json.RawMessage(data)
		ev.Context.URL = "https://x/?a=1&b=<2>" + odd
		got, err := DefaultBody(ev)
		if err != nil {
			t.Fatal(err)
		}
		d := ev.Data
		if len(strings.TrimSpace(string(d))) == 0 || !json.Valid(d) {
			d = json.RawMessage("{}")
		}
		want, err := json.Marshal(Default{ID: ev.ID, Type: ev.Name, Timestamp: Timestamp(ev).UTC().Format("2006-01-02T15:04:05.999999999Z07:00"),
			Site: ev.SiteID, Source: string(ev.Source), Data: d, Context: ev.Context})
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}
