package schemas

import (
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// ValidationError says what is wrong with a payload, briefly. It never
// repeats the offending value, which may be personal data.
type ValidationError struct {
	// Field is where the problem is, as a JSON pointer without its leading
	// slash and prefixed by the document's name: "data/rating" for Validate,
	// "batch/0/id" for ValidateBatch ("" for the whole batch document). For a
	// missing property it names the property itself.
	Field string
	// Reason is a short phrase such as "required" or
	// "want integer or string, got boolean".
	Reason string
	// More counts further problems found but not described.
	More int
}

// Error renders "field: reason", e.g. "data/rating: want integer, got string".
func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	if e.More > 0 {
		fmt.Fprintf(&b, " (and %d more)", e.More)
	}
	return b.String()
}

var printer = message.NewPrinter(language.English)

// maxReason bounds Reason, whatever the schema library says.
const maxReason = 160

// convert reduces the library's error tree to its first leaf.
func convert(root string, ve *jsonschema.ValidationError) *ValidationError {
	var leaves []*jsonschema.ValidationError
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, e)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	leaf := leaves[0]
	more := len(leaves) - 1
	loc := leaf.InstanceLocation
	reason := describe(leaf.ErrorKind)
	if req, ok := leaf.ErrorKind.(*kind.Required); ok && len(req.Missing) > 0 {
		loc = append(loc[:len(loc):len(loc)], req.Missing[0])
		reason = "required"
		more += len(req.Missing) - 1 // the other missing properties
	}
	return &ValidationError{Field: pointer(root, loc), Reason: reason, More: more}
}

// describe phrases one error kind without quoting the instance value.
func describe(k jsonschema.ErrorKind) string {
	var s string
	switch k := k.(type) {
	case *kind.Type:
		// The library sorts types; read better with null last.
		want := make([]string, 0, len(k.Want))
		null := false
		for _, w := range k.Want {
			if w == "null" {
				null = true
				continue
			}
			want = append(want, w)
		}
		if null {
			want = append(want, "null")
		}
		s = "want " + strings.Join(want, " or ") + ", got " + k.Got
	case *kind.Pattern:
		s = "does not match " + k.Want
	case *kind.Format:
		s = "not a valid " + k.Want
	case *kind.FalseSchema:
		s = "not allowed"
	default:
		s = k.LocalizedString(printer)
	}
	if len(s) > maxReason {
		s = s[:maxReason] + "…"
	}
	return s
}

// pointer joins root and the instance location into a JSON pointer without
// its leading slash: "~" and "/" in tokens are escaped per RFC 6901.
func pointer(root string, loc []string) string {
	var b strings.Builder
	b.WriteString(root)
	for _, tok := range loc {
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		tok = strings.ReplaceAll(tok, "~", "~0")
		tok = strings.ReplaceAll(tok, "/", "~1")
		b.WriteString(tok)
	}
	return b.String()
}
