package npm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/schemas"
)

// schema is the part of a JSON Schema the declarations use. Properties keep
// the schema's order.
type schema struct {
	Type                 typeList          `json:"type"`
	Description          string            `json:"description"`
	Properties           orderedSchemas    `json:"properties"`
	Required             []string          `json:"required"`
	AdditionalProperties *json.RawMessage  `json:"additionalProperties"`
	Items                *schema           `json:"items"`
	Enum                 []json.RawMessage `json:"enum"`
}

// typeList is "type": a string or a list of strings.
type typeList []string

func (l *typeList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*l = typeList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("type: %w", err)
	}
	*l = many
	return nil
}

type namedSchema struct {
	name string
	s    *schema
}

type orderedSchemas []namedSchema

func (o *orderedSchemas) UnmarshalJSON(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	if _, err := d.Token(); err != nil { // {
		return err
	}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		var s schema
		if err := d.Decode(&s); err != nil {
			return fmt.Errorf("property %v: %w", tok, err)
		}
		*o = append(*o, namedSchema{fmt.Sprint(tok), &s})
	}
	return nil
}

// Events returns events.d.ts: one interface per browser event of schemas/
// (the data argument of window.popinEvent(name, data)) and PopinEventMap
// from each name and alias to its interface. Fields Popin may add are
// allowed by an index signature, as the schemas allow them.
func Events() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Code generated from schemas/browser/*.json by widget-sdk/npm (go run ./widget-sdk/cmd/sdkpack); DO NOT EDIT.\n\n")
	type entry struct{ name, iface, note string }
	var m []entry
	for _, t := range schemas.Catalog() {
		if t.Source != event.SourceBrowser {
			continue
		}
		var s schema
		if err := json.Unmarshal(t.Schema, &s); err != nil {
			return nil, fmt.Errorf("schema of %s: %w", t.Name, err)
		}
		iface := typeName(t.Name) + "Data"
		doc(&b, "", t.Title+": "+t.Description)
		fmt.Fprintf(&b, "export interface %s %s\n\n", iface, objectType(&s, ""))
		m = append(m, entry{t.Name, iface, t.Title})
		for _, a := range t.Aliases {
			m = append(m, entry{a, iface, t.Title + " (alias of " + t.Name + ")"})
		}
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("no browser event schemas")
	}
	sort.SliceStable(m, func(i, j int) bool { return m[i].name < m[j].name })
	doc(&b, "", "Every known browser event name, aliases included, to the type of its data.")
	b.WriteString("export interface PopinEventMap {\n")
	for _, e := range m {
		doc(&b, "  ", e.note)
		fmt.Fprintf(&b, "  %s: %s\n", e.name, e.iface)
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// typeName turns popin_call_end into PopinCallEnd.
func typeName(s string) string {
	var b strings.Builder
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == '-' }) {
		b.WriteString(strings.ToUpper(p[:1]) + p[1:])
	}
	return b.String()
}

// tsType is the TypeScript type of s, nested objects indented by ind.
func tsType(s *schema, ind string) string {
	if len(s.Enum) > 0 {
		l := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			l[i] = string(v)
		}
		return strings.Join(l, " | ")
	}
	if len(s.Type) == 0 {
		return "unknown"
	}
	l := make([]string, 0, len(s.Type))
	for _, t := range s.Type {
		switch t {
		case "string", "boolean", "null":
			l = append(l, t)
		case "integer", "number":
			l = append(l, "number")
		case "array":
			item := "unknown"
			if s.Items != nil {
				item = tsType(s.Items, ind)
			}
			l = append(l, "Array<"+item+">")
		case "object":
			l = append(l, objectType(s, ind))
		default:
			l = append(l, "unknown")
		}
	}
	return strings.Join(l, " | ")
}

// objectType is an object literal type: the properties (optional unless
// required) and, unless additionalProperties is false, an index signature.
func objectType(s *schema, ind string) string {
	open := s.AdditionalProperties == nil || string(*s.AdditionalProperties) != "false"
	if len(s.Properties) == 0 && open {
		return "Record<string, unknown>"
	}
	req := map[string]bool{}
	for _, r := range s.Required {
		req[r] = true
	}
	var b bytes.Buffer
	b.WriteString("{\n")
	in := ind + "  "
	for _, p := range s.Properties {
		doc(&b, in, p.s.Description)
		opt := "?"
		if req[p.name] {
			opt = ""
		}
		fmt.Fprintf(&b, "%s%s%s: %s\n", in, propName(p.name), opt, tsType(p.s, in))
	}
	if open {
		fmt.Fprintf(&b, "%s/** Fields Popin may add. */\n%s[field: string]: unknown\n", in, in)
	}
	b.WriteString(ind + "}")
	return b.String()
}

// propName quotes a property name that is not an identifier.
func propName(n string) string {
	for i, r := range n {
		if !(r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			q, _ := json.Marshal(n)
			return string(q)
		}
	}
	if n == "" {
		return `""`
	}
	return n
}

// doc writes a JSDoc comment; "*/" in the text cannot end it early.
func doc(b *bytes.Buffer, ind, text string) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "*/", "*\\/"))
	if text == "" {
		return
	}
	fmt.Fprintf(b, "%s/** %s */\n", ind, text)
}
