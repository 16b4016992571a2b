package popinhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// member is one top-level key of the body with its raw value bytes.
type member struct {
	key string
	raw json.RawMessage
}

// object is a JSON object's members in order; for duplicate keys get
// returns the last, as encoding/json would.
type object []member

func (o object) get(key string) (json.RawMessage, bool) {
	for i := len(o) - 1; i >= 0; i-- {
		if o[i].key == key {
			return o[i].raw, true
		}
	}
	return nil, false
}

// scanObject reads body as exactly one JSON object.
func scanObject(body []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, malformed("invalid JSON: " + short(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, malformed("want a JSON object, got " + tokenKind(tok))
	}
	var obj object
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed("invalid JSON: " + short(err))
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, malformed("invalid JSON: " + short(err))
		}
		obj = append(obj, member{key: key, raw: raw})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, malformed("invalid JSON: " + short(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, malformed("invalid JSON: data after the object")
	}
	return obj, nil
}

// short keeps a decoder error to one line without quoting input.
func short(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return err.Error()
}

func tokenKind(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		return "array"
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "something else"
}

// kind names the JSON type of a raw value.
func kind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}
