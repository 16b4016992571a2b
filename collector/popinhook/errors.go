package popinhook

import "errors"

var (
	// ErrMalformed matches errors for bodies that are not one JSON object
	// in valid UTF-8.
	ErrMalformed = errors.New("malformed popin webhook")
	// ErrInvalid matches errors for JSON objects whose fields are wrong,
	// e.g. a missing event name.
	ErrInvalid = errors.New("invalid popin webhook")
)

// Error says what is wrong with a webhook body. It never quotes values,
// which may be personal data.
type Error struct {
	// Field is the top-level key at fault ("event", "user_id"), or "" for
	// the body as a whole.
	Field string
	// Reason is a short phrase such as "required" or "want string, got number".
	Reason string
	// Malformed is true when the body is not a JSON object at all.
	Malformed bool
}

func (e *Error) Error() string {
	if e.Field == "" {
		return "popin webhook: " + e.Reason
	}
	return "popin webhook: " + e.Field + ": " + e.Reason
}

// Is makes errors.Is(err, ErrMalformed) and errors.Is(err, ErrInvalid) work.
func (e *Error) Is(target error) bool {
	if e.Malformed {
		return target == ErrMalformed
	}
	return target == ErrInvalid
}

func malformed(reason string) *Error { return &Error{Reason: reason, Malformed: true} }

func invalid(field, reason string) *Error { return &Error{Field: field, Reason: reason} }
