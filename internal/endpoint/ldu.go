package endpoint

func (x *Endpoint) validateLDU() []error {
	if x.LimitedDataUse == nil {
		return nil
	}
	var errs []error
	for _, p := range x.LimitedDataUse.Problems() {
		errs = append(errs, fieldErr("limited_data_use."+p.Field, "%s", p.Msg))
	}
	return errs
}
