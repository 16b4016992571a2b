package controlplane

import (
	"fmt"
	"regexp"

	"github.com/popinbridge/bridge/internal/endpoint"
)

// idPattern is what ids of sites may look like: it keeps them usable as
// JetStream KV keys and URL path segments (endpoint ids: internal/endpoint).
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// fieldError is a problem with one named field of a request; the API answers
// it with 422 and the field's name.
type fieldError = endpoint.FieldError

func fieldErr(field, format string, a ...any) error {
	return &fieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// validateEndpoint checks an endpoint with the one validator and returns
// its problems in field order.
func (m *Manager) validateEndpoint(e *Endpoint) []error {
	var errs []error
	for _, p := range endpoint.Problems(e.Validate(endpoint.Checks{Guard: m.guard})) {
		errs = append(errs, p)
	}
	return errs
}
