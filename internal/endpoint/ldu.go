package endpoint

// LimitedDataUse is Meta's Limited Data Use for a Conversions API endpoint:
// every event is sent with data_processing_options ["LDU"] and this country
// and state (data_processing_options_country/_state). 0 lets Meta
// geolocate the event; Country 1 is the USA, State 1000–1013 a US state
// (1000 California). A State needs Country 1.
type LimitedDataUse struct {
	Country int `json:"country" yaml:"country"`
	State   int `json:"state" yaml:"state"`
}

func (x *Endpoint) validateLDU() []error {
	l := x.LimitedDataUse
	if l == nil {
		return nil
	}
	var errs []error
	if l.Country != 0 && l.Country != 1 {
		errs = append(errs, fieldErr("limited_data_use.country", "%d is not 0 (geolocate) or 1 (USA)", l.Country))
	}
	switch {
	case l.State != 0 && (l.State < 1000 || l.State > 1013):
		errs = append(errs, fieldErr("limited_data_use.state", "%d is not 0 (geolocate) or a US state code 1000 to 1013", l.State))
	case l.State != 0 && l.Country != 1:
		errs = append(errs, fieldErr("limited_data_use.state", "a state needs country 1 (USA)"))
	}
	return errs
}
