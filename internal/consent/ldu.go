package consent

import "fmt"

// LimitedDataUse is Meta's Limited Data Use, set on a site (every Conversions
// API endpoint of the site) or on one endpoint (which then wins): every event
// is sent with data_processing_options ["LDU"] and this country and state
// (data_processing_options_country/_state). 0 lets Meta geolocate the
// event; Country 1 is the USA, State 1000–1013 a US state (1000
// California). A State needs Country 1.
type LimitedDataUse struct {
	Country int `json:"country" yaml:"country"`
	State   int `json:"state" yaml:"state"`
}

// Problem is one invalid field of a LimitedDataUse: Field is "country" or
// "state".
type Problem struct {
	Field, Msg string
}

// Problems lists what is wrong with l, nothing when it is valid.
func (l LimitedDataUse) Problems() []Problem {
	var ps []Problem
	if l.Country != 0 && l.Country != 1 {
		ps = append(ps, Problem{"country", fmt.Sprintf("%d is not 0 (geolocate) or 1 (USA)", l.Country)})
	}
	switch {
	case l.State != 0 && (l.State < 1000 || l.State > 1013):
		ps = append(ps, Problem{"state", fmt.Sprintf("%d is not 0 (geolocate) or a US state code 1000 to 1013", l.State)})
	case l.State != 0 && l.Country != 1:
		ps = append(ps, Problem{"state", "a state needs country 1 (USA)"})
	}
	return ps
}
