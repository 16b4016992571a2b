package controlplane

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// tsFromOpenAPI generates TypeScript types from an OpenAPI 3 document: one
// type per component schema and an Operations map keyed "METHOD /path"
// with each operation's JSON request body and success response. It covers
// what openapi.json uses ($ref, allOf/oneOf/anyOf, enum, nullable, type
// lists, objects with required and additionalProperties, arrays).
func tsFromOpenAPI(doc []byte) (string, error) {
	var d struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("// Generated from openapi.json by the controlplane tests.\n\n")
	for _, name := range sortedKeysOf(d.Components.Schemas) {
		fmt.Fprintf(&b, "export type %s = %s;\n\n", name, tsType(d.Components.Schemas[name], "  "))
	}
	b.WriteString("export interface Operations {\n")
	for _, p := range sortedKeysOf(d.Paths) {
		for _, method := range sortedKeysOf(d.Paths[p]) {
			if method == "parameters" {
				continue
			}
			var op struct {
				RequestBody struct {
					Content map[string]struct {
						Schema any `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
				Responses map[string]struct {
					Content map[string]struct {
						Schema any `json:"schema"`
					} `json:"content"`
				} `json:"responses"`
			}
			if err := json.Unmarshal(d.Paths[p][method], &op); err != nil {
				return "", fmt.Errorf("%s %s: %w", method, p, err)
			}
			body := "undefined"
			if c, ok := op.RequestBody.Content["application/json"]; ok {
				body = tsType(c.Schema, "    ")
			}
			resp := "void"
			for _, code := range sortedKeysOf(op.Responses) {
				if strings.HasPrefix(code, "2") {
					if c, ok := op.Responses[code].Content["application/json"]; ok {
						resp = tsType(c.Schema, "    ")
					}
					break
				}
			}
			fmt.Fprintf(&b, "  %q: { body: %s; response: %s };\n", strings.ToUpper(method)+" "+p, body, resp)
		}
	}
	b.WriteString("}\n")
	return b.String(), nil
}

var tsIdent = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// tsKey is a property name as TypeScript writes it: bare when it can be.
func tsKey(k string) string {
	if tsIdent.MatchString(k) {
		return k
	}
	return strconv.Quote(k)
}

func sortedKeysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// tsType is the TypeScript type of a schema; indent is for object members.
func tsType(v any, indent string) string {
	s, ok := v.(map[string]any)
	if !ok {
		return "unknown"
	}
	t := tsBase(s, indent)
	if s["nullable"] == true {
		t = "(" + t + ") | null"
	}
	return t
}

func tsBase(s map[string]any, indent string) string {
	if ref, ok := s["$ref"].(string); ok {
		return ref[strings.LastIndex(ref, "/")+1:]
	}
	for key, sep := range map[string]string{"allOf": " & ", "oneOf": " | ", "anyOf": " | "} {
		if parts, ok := s[key].([]any); ok {
			var ts []string
			for _, p := range parts {
				ts = append(ts, "("+tsType(p, indent)+")")
			}
			return strings.Join(ts, sep)
		}
	}
	if enum, ok := s["enum"].([]any); ok {
		var ts []string
		for _, e := range enum {
			j, _ := json.Marshal(e)
			ts = append(ts, string(j))
		}
		return strings.Join(ts, " | ")
	}
	if list, ok := s["type"].([]any); ok { // OpenAPI 3.1 type lists
		var ts []string
		for _, x := range list {
			c := map[string]any{}
			for k, v := range s {
				c[k] = v
			}
			c["type"] = x
			ts = append(ts, tsBase(c, indent))
		}
		return strings.Join(ts, " | ")
	}
	switch s["type"] {
	case "string":
		return "string"
	case "integer", "number":
		return "number"
	case "boolean":
		return "boolean"
	case "null":
		return "null"
	case "array":
		return "(" + tsType(s["items"], indent) + ")[]"
	}
	props, _ := s["properties"].(map[string]any)
	reqList, _ := s["required"].([]any)
	if s["type"] != "object" && props == nil && reqList == nil {
		return "unknown"
	}
	required := map[string]bool{}
	for _, r := range reqList {
		required[fmt.Sprint(r)] = true
	}
	var b strings.Builder
	b.WriteString("{\n")
	for _, k := range sortedKeysOf(props) {
		opt := "?"
		if required[k] {
			opt = ""
		}
		fmt.Fprintf(&b, "%s%s%s: %s;\n", indent, tsKey(k), opt, tsType(props[k], indent+"  "))
	}
	for _, k := range sortedKeysOf(required) {
		if _, ok := props[k]; !ok { // required by a schema that adds no property (allOf)
			fmt.Fprintf(&b, "%s%s: unknown;\n", indent, tsKey(k))
		}
	}
	switch ap := s["additionalProperties"].(type) {
	case bool:
		if ap && props == nil {
			fmt.Fprintf(&b, "%s[key: string]: unknown;\n", indent)
		}
	case map[string]any:
		if props == nil {
			fmt.Fprintf(&b, "%s[key: string]: %s;\n", indent, tsType(ap, indent+"  "))
		}
	}
	b.WriteString(indent[:len(indent)-2] + "}")
	return b.String()
}
