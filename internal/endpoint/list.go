package endpoint

import (
	"errors"
	"fmt"
)

// ValidateList checks declared endpoints (the config file's `endpoints:`):
// each with Validate, ids unique, and sites among siteIDs (nil skips that
// check). Every error is prefixed with its place, "endpoints[i].".
func ValidateList(eps []Endpoint, siteIDs map[string]bool, c Checks) error {
	var errs []error
	seen := map[string]bool{}
	for i := range eps {
		e := &eps[i]
		p := fmt.Sprintf("endpoints[%d].", i)
		if err := e.Validate(c); err != nil {
			for _, fe := range Problems(err) {
				errs = append(errs, fmt.Errorf("%s%w", p, fe))
			}
		}
		if e.ID != "" && seen[e.ID] {
			errs = append(errs, fmt.Errorf("%sid: %q is used twice", p, e.ID))
		}
		seen[e.ID] = true
		if siteIDs != nil && e.Site != "" && !siteIDs[e.Site] {
			errs = append(errs, fmt.Errorf("%ssite: %q is not a configured site", p, e.Site))
		}
	}
	return errors.Join(errs...)
}

// Problems returns the field errors of an error from Validate, in order.
func Problems(err error) []*FieldError {
	if err == nil {
		return nil
	}
	var out []*FieldError
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		var fe *FieldError
		if errors.As(e, &fe) {
			out = append(out, fe)
		}
	}
	return out
}
