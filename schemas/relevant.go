package schemas

import (
	"encoding/json"
	"strings"
)

// RelevantKeys returns the top-level properties of t's data that its schema
// can constrain, each mapped to itself (so that a caller holding the name as
// bytes finds a string without allocating one), or nil when any property
// may matter.
//
// It is not nil only for a schema whose top level uses no keyword besides
// type, properties, required, additionalProperties: true and annotations:
// validating an object against such a schema looks at no other property,
// neither its name nor its value. So ValidateValue on the object reduced to
// the relevant keys (a map holding just those of its properties, with their
// values in full) gives exactly what Validate gives on the whole payload.
// The map is shared: callers must not modify it.
func (t *EventType) RelevantKeys() map[string]string { return t.relevant }

// annotations are the top-level keywords that do not affect validation.
var annotations = map[string]bool{
	"$schema": true, "$id": true, "$comment": true,
	"title": true, "description": true, "examples": true,
}

// relevantKeys computes RelevantKeys from a schema document; see there.
func relevantKeys(doc []byte) map[string]string {
	var top map[string]json.RawMessage
	if json.Unmarshal(doc, &top) != nil {
		return nil
	}
	var props map[string]json.RawMessage
	var required []string
	for k, v := range top {
		switch {
		case annotations[k], strings.HasPrefix(k, "x-"), k == "type":
		case k == "properties":
			if json.Unmarshal(v, &props) != nil {
				return nil
			}
		case k == "required":
			if json.Unmarshal(v, &required) != nil {
				return nil
			}
		case k == "additionalProperties":
			if string(v) != "true" {
				return nil
			}
		default:
			return nil // any other keyword may look at any property
		}
	}
	keys := make(map[string]string, len(props)+len(required))
	for k := range props {
		keys[k] = k
	}
	for _, k := range required {
		keys[k] = k
	}
	return keys
}
