package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/popinbridge/bridge/collector/event"
)

// Validate checks an event's data payload against the schema of its name.
//
// It returns known == false and a nil error for names without a schema
// (including every name of sources other than browser and popin_server):
// such events are accepted and flagged, never dropped. For a known name it
// returns known == true and, when the payload does not fit, a
// *ValidationError rooted at "data" (e.g. "data/rating: want integer or
// string, got boolean"). An empty data is treated as {}.
func Validate(source event.Source, name string, data json.RawMessage) (known bool, err error) {
	t, ok := Lookup(source, name)
	if !ok {
		if _, lerr := load(); lerr != nil {
			return false, lerr
		}
		return false, nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = json.RawMessage("{}")
	}
	return true, check(t.compiled, "data", data)
}

// ValidateBatch checks a whole ingest batch body (CONTRACT §5) against
// batch.json: shape and envelope fields only, not each event's data. Errors
// are *ValidationError rooted at the document, e.g. "batch/0/id: ...".
func ValidateBatch(raw []byte) error {
	reg, err := load()
	if err != nil {
		return err
	}
	return check(reg.batch, "", raw)
}

// check decodes raw and validates it, converting the library's error tree.
func check(sch *jsonschema.Schema, root string, raw []byte) error {
	v, err := decode(raw)
	if err != nil {
		return &ValidationError{Field: root, Reason: "invalid JSON: " + err.Error()}
	}
	err = sch.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		return convert(root, ve)
	}
	return &ValidationError{Field: root, Reason: err.Error()}
}

// decode parses one JSON value, keeping numbers exact, and refuses trailing
// data.
func decode(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}
