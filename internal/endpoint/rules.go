package endpoint

import "github.com/popinbridge/bridge/internal/endpoint/rules"

// validateRules compiles filter and transform (rules.CompileFilter,
// rules.CompileTransform): an expression that does not compile is
// reported with its position ("filter: line 1, column 9: …"). Transform is
// for webhooks only, and not beside a template.
func (x *Endpoint) validateRules() []error {
	var errs []error
	if x.Filter != "" {
		if _, err := rules.CompileFilter(x.Filter); err != nil {
			errs = append(errs, fieldErr("filter", "%v", err))
		}
	}
	if x.Transform != "" {
		switch {
		case x.Type != TypeWebhook:
			errs = append(errs, fieldErr("transform", "only for type webhook"))
		case x.Template != "":
			errs = append(errs, fieldErr("transform", "set either template or transform, not both"))
		default:
			if _, err := rules.CompileTransform(x.Transform); err != nil {
				errs = append(errs, fieldErr("transform", "%v", err))
			}
		}
	}
	return errs
}
