package schemas

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/popinbridge/bridge/internal/event"
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

// ValidateValue is Validate for data already decoded into the shapes
// DecodeValue (or encoding/json with UseNumber) produces: map[string]any,
// []any, string, json.Number, bool and nil (JSON null, not an empty
// payload). It lets a caller that parses the payload anyway skip a second
// decoding. The result is the same as Validate's on the payload's text.
// When the payload is an object and the event type's RelevantKeys is not
// nil, v may hold only those of its properties (see RelevantKeys).
func ValidateValue(source event.Source, name string, v any) (known bool, err error) {
	t, ok := Lookup(source, name)
	if !ok {
		if _, lerr := load(); lerr != nil {
			return false, lerr
		}
		return false, nil
	}
	return true, validateValue(t.compiled, "data", v)
}

// check decodes raw and validates it, converting the library's error tree.
func check(sch *jsonschema.Schema, root string, raw []byte) error {
	v, err := decode(raw)
	if err != nil {
		return &ValidationError{Field: root, Reason: "invalid JSON: " + err.Error()}
	}
	return validateValue(sch, root, v)
}

func validateValue(sch *jsonschema.Schema, root string, v any) error {
	err := sch.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		return convert(root, ve)
	}
	return &ValidationError{Field: root, Reason: err.Error()}
}
