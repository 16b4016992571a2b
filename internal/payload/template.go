package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/popinbridge/bridge/internal/event"
)

// MaxTemplateBytes bounds a template's source.
const MaxTemplateBytes = 64 << 10

// noValue is what text/template prints for a missing map key.
const noValue = "<no value>"

// Template renders a JSON template. Safe for concurrent use.
type Template struct {
	root node
}

// node is one element of the parsed JSON template.
type node interface {
	render(view map[string]any, buf *bytes.Buffer) error
}

type literal struct{ raw json.RawMessage }

type object struct {
	keys []string
	vals []node
}

type array struct{ elems []node }

// textLeaf renders to a JSON string.
type textLeaf struct{ t *template.Template }

// valueLeaf renders its single action's value as JSON.
type valueLeaf struct{ t *template.Template }

// Funcs are the functions templates may call.
var Funcs = template.FuncMap{
	"json":  toJSON,
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"trim":  strings.TrimSpace,
	"default": func(def, v any) any {
		if isEmpty(v) {
			return def
		}
		return v
	},
	"join": func(sep string, v []any) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = fmt.Sprint(x)
		}
		return strings.Join(s, sep)
	},
	"unix": func(s string) int64 {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0
		}
		return t.Unix()
	},
	"unixms": func(s string) int64 {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0
		}
		return t.UnixMilli()
	},
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	}
	return false
}

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// Parse compiles a JSON template and checks it by rendering a sample event.
func Parse(src string) (*Template, error) {
	if len(src) > MaxTemplateBytes {
		return nil, fmt.Errorf("template: %d bytes, at most %d", len(src), MaxTemplateBytes)
	}
	dec := json.NewDecoder(strings.NewReader(src))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("template: not JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("template: more than one JSON value")
	}
	root, err := compile(doc, "$")
	if err != nil {
		return nil, err
	}
	t := &Template{root: root}
	if _, err := t.Render(Sample()); err != nil {
		return nil, fmt.Errorf("template: rendering a sample event: %w", err)
	}
	return t, nil
}

func compile(v any, path string) (node, error) {
	switch x := v.(type) {
	case map[string]any:
		o := &object{}
		for k := range x {
			o.keys = append(o.keys, k)
		}
		sort.Strings(o.keys)
		for _, k := range o.keys {
			n, err := compile(x[k], path+"."+k)
			if err != nil {
				return nil, err
			}
			o.vals = append(o.vals, n)
		}
		return o, nil
	case []any:
		a := &array{}
		for i, e := range x {
			n, err := compile(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			a.elems = append(a.elems, n)
		}
		return a, nil
	case string:
		if !strings.Contains(x, "{{") {
			b, _ := json.Marshal(x)
			return literal{b}, nil
		}
		t, err := template.New(path).Funcs(Funcs).Option("missingkey=zero").Parse(x)
		if err != nil {
			return nil, fmt.Errorf("template at %s: %w", path, err)
		}
		if pipe, ok := singleAction(t); ok {
			vt, err := template.New(path).Funcs(Funcs).Option("missingkey=zero").Parse("{{json (" + pipe + ")}}")
			if err != nil {
				return nil, fmt.Errorf("template at %s: %w", path, err)
			}
			return valueLeaf{vt}, nil
		}
		return textLeaf{t}, nil
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		return literal{b}, nil
	}
}

// singleAction reports whether t is exactly one {{pipeline}} without
// variable declarations, and returns the pipeline's source.
func singleAction(t *template.Template) (string, bool) {
	if t.Tree == nil || t.Tree.Root == nil || len(t.Tree.Root.Nodes) != 1 {
		return "", false
	}
	a, ok := t.Tree.Root.Nodes[0].(*parse.ActionNode)
	if !ok || a.Pipe == nil || len(a.Pipe.Decl) > 0 {
		return "", false
	}
	return a.Pipe.String(), true
}

// Render renders the template for ev.
func (t *Template) Render(ev *event.Event) ([]byte, error) {
	var buf bytes.Buffer
	if err := t.root.render(View(ev), &buf); err != nil {
		return nil, err
	}
	if !json.Valid(buf.Bytes()) { // cannot happen by construction; checked anyway
		return nil, errors.New("template produced invalid JSON")
	}
	return buf.Bytes(), nil
}

func (l literal) render(_ map[string]any, buf *bytes.Buffer) error {
	buf.Write(l.raw)
	return nil
}

func (o *object) render(view map[string]any, buf *bytes.Buffer) error {
	buf.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		if err := o.vals[i].render(view, buf); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

func (a *array) render(view map[string]any, buf *bytes.Buffer) error {
	buf.WriteByte('[')
	for i, e := range a.elems {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := e.render(view, buf); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return nil
}

func (l textLeaf) render(view map[string]any, buf *bytes.Buffer) error {
	var out strings.Builder
	if err := l.t.Execute(&out, view); err != nil {
		if !missing(err) {
			return err
		}
		out.Reset()
	}
	b, err := json.Marshal(strings.ReplaceAll(out.String(), noValue, ""))
	if err != nil {
		return err
	}
	buf.Write(b)
	return nil
}

func (l valueLeaf) render(view map[string]any, buf *bytes.Buffer) error {
	var out strings.Builder
	if err := l.t.Execute(&out, view); err != nil {
		if !missing(err) {
			return err
		}
		out.Reset()
		out.WriteString("null")
	}
	s := out.String()
	if !json.Valid([]byte(s)) { // named by its place: the value may be personal data
		return fmt.Errorf("template value at %s is not JSON (%d bytes)", l.t.Name(), len(s))
	}
	buf.WriteString(s)
	return nil
}

// Sample is the event templates are checked against at load time.
func Sample() *event.Event {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &event.Event{
		ID: "00000000-0000-4000-8000-000000000000", SiteID: "sample", Name: "popin_captured",
		Source: event.SourceBrowser, Known: true, UID: "u-sample", AnonID: "a-sample", SessionID: "s-sample",
		ClientTime: ts, ReceivedAt: ts,
		Data:    json.RawMessage(`{"name":"Asha Rao","email":"asha@example.com","mobile":"9876543210","country":"IN","city":"Bengaluru","pin_code":"560001","uid":"u-sample"}`),
		Context: event.Context{URL: "https://www.example.com/p/1", UTM: map[string]string{"utm_source": "sample"}},
	}
}

// missing reports whether err comes from walking into a missing value
// (".data.a.b" when a is absent), which renders as empty rather than failing.
func missing(err error) bool {
	return strings.Contains(err.Error(), "nil pointer evaluating")
}
