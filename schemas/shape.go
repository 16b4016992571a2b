package schemas

import (
	"encoding/json"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// Kinds is a set of JSON types, as a schema's "type" keyword allows them
// or as one value has them (a number written as an integer is both
// KindNumber and KindInteger).
type Kinds uint8

const (
	KindNull Kinds = 1 << iota
	KindBool
	KindNumber // any number
	KindInteger
	KindString
	KindArray
	KindObject

	kindsAny Kinds = 1<<iota - 1
)

// MaxShapeProps is the most properties a Shape describes; a schema naming
// more has none.
const MaxShapeProps = 32

// Shape is the part of an event schema that a validator-free check can
// decide: which JSON types each top-level property may have and which
// properties are required. Fits never says an object fits when the schema
// refuses it; it may say it does not when the schema accepts it (a number
// such as 1.0 under "integer", a property with keywords besides type): the
// caller then validates as usual. So Fits true skips the schema library,
// and every error is still the library's own.
type Shape struct {
	index    map[string]int // property → position in allow; shared, read only
	allow    []Kinds        // per position; 0: only the library can judge
	required uint32         // bit i: property i is required
}

// ShapeState collects what an object holds, property by property, for
// Fits; the zero value is an empty object.
type ShapeState struct {
	seen  uint32 // bit i: property i is present
	kinds [MaxShapeProps]Kinds
}

// Shape returns t's Shape, or nil when its schema is not one Fits can
// decide (RelevantKeys is nil, more than MaxShapeProps properties, or a top
// level "type" not allowing an object).
func (t *EventType) Shape() *Shape { return t.shape }

// Prop reports the position of the property name (exact match, as the
// schema's properties are), or false when the schema does not constrain it.
func (s *Shape) Prop(name []byte) (int, bool) {
	i, ok := s.index[string(name)]
	return i, ok
}

// Set records that property i holds a value of kinds k; a repeated
// property keeps its last value, as decoding does.
func (st *ShapeState) Set(i int, k Kinds) {
	st.seen |= 1 << i
	st.kinds[i] = k
}

// Fits reports that the schema surely accepts an object holding what st
// recorded (properties the shape does not name do not matter).
func (s *Shape) Fits(st *ShapeState) bool {
	if st.seen&s.required != s.required {
		return false
	}
	for i, a := range s.allow {
		if st.seen&(1<<i) != 0 && st.kinds[i]&a == 0 {
			return false
		}
	}
	return true
}

// ReadKinds reads the next value from dec (without decoding it) and
// returns its kinds.
func ReadKinds(dec *jsontext.Decoder) (Kinds, error) {
	switch dec.PeekKind() {
	case '0':
		v, err := dec.ReadValue()
		if err != nil {
			return 0, err
		}
		return NumberKinds(v), nil
	case '"':
		return KindString, dec.SkipValue()
	case 'n':
		return KindNull, dec.SkipValue()
	case 't', 'f':
		return KindBool, dec.SkipValue()
	case '[':
		return KindArray, dec.SkipValue()
	case '{':
		return KindObject, dec.SkipValue()
	}
	return 0, dec.SkipValue() // an error: PeekKind saw no value
}

// NumberKinds returns the kinds of a number literal: one of digits alone
// (and a sign) is an integer to the library too; anything else (1.0, 1e3)
// is only KindNumber, and the library judges it under "integer".
func NumberKinds(lit []byte) Kinds {
	for i, c := range lit {
		if !(c >= '0' && c <= '9' || c == '-' && i == 0) {
			return KindNumber
		}
	}
	return KindNumber | KindInteger
}

// shapeOf computes the Shape of a schema document whose top level
// RelevantKeys accepted (relevant not nil); see Shape.
func shapeOf(doc []byte, relevant map[string]string) *Shape {
	if relevant == nil || len(relevant) > MaxShapeProps {
		return nil
	}
	var top struct {
		Type       json.RawMessage            `json:"type"`
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if json.Unmarshal(doc, &top) != nil {
		return nil
	}
	if len(top.Type) > 0 && typeKinds(top.Type)&KindObject == 0 {
		return nil
	}
	s := &Shape{index: make(map[string]int, len(relevant))}
	for k := range relevant {
		s.index[k] = len(s.allow)
		a := kindsAny // only required: any value
		if p, ok := top.Properties[k]; ok {
			a = propKinds(p)
		}
		s.allow = append(s.allow, a)
	}
	for _, k := range top.Required {
		s.required |= 1 << s.index[k]
	}
	return s
}

// propKinds is what a property's schema allows, when "type" is all it
// says (besides annotations); 0 otherwise.
func propKinds(p json.RawMessage) Kinds {
	switch strings.TrimSpace(string(p)) {
	case "true":
		return kindsAny
	case "false":
		return 0
	}
	var kw map[string]json.RawMessage
	if json.Unmarshal(p, &kw) != nil {
		return 0
	}
	a := kindsAny
	for k, v := range kw {
		switch {
		case annotations[k], strings.HasPrefix(k, "x-"):
		case k == "type":
			a = typeKinds(v)
		default:
			return 0
		}
	}
	return a
}

// typeKinds reads a "type" keyword: one name or a list; 0 when it is
// neither or names an unknown type.
func typeKinds(v json.RawMessage) Kinds {
	var names []string
	if json.Unmarshal(v, &names) != nil {
		var one string
		if json.Unmarshal(v, &one) != nil {
			return 0
		}
		names = []string{one}
	}
	var a Kinds
	for _, n := range names {
		switch n {
		case "null":
			a |= KindNull
		case "boolean":
			a |= KindBool
		case "number":
			a |= KindNumber | KindInteger
		case "integer":
			a |= KindInteger
		case "string":
			a |= KindString
		case "array":
			a |= KindArray
		case "object":
			a |= KindObject
		default:
			return 0
		}
	}
	return a
}
