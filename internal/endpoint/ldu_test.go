package endpoint

import (
	"testing"

	"github.com/popinbridge/bridge/internal/consent"
)

func TestValidateLimitedDataUse(t *testing.T) {
	guard := testGuard(t)
	ldu := func(c, s int) func(*Endpoint) {
		return func(e *Endpoint) { e.LimitedDataUse = &consent.LimitedDataUse{Country: c, State: s} }
	}
	for _, tc := range []struct {
		name      string
		ep        Endpoint
		wantField string
	}{
		{"geolocate", capiEndpoint(ldu(0, 0)), ""},
		{"usa, geolocated state", capiEndpoint(ldu(1, 0)), ""},
		{"california", capiEndpoint(ldu(1, 1000)), ""},
		{"rhode island", capiEndpoint(ldu(1, 1013)), ""},
		{"bad country", capiEndpoint(ldu(2, 0)), "limited_data_use.country"},
		{"bad state", capiEndpoint(ldu(1, 1014)), "limited_data_use.state"},
		{"state without country", capiEndpoint(ldu(0, 1000)), "limited_data_use.state"},
		{"webhook", webhook(ldu(0, 0)), "limited_data_use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.ep.Validate(Checks{Guard: guard})
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("valid endpoint refused: %v", err)
				}
				return
			}
			if probs := Problems(err); len(probs) != 1 || probs[0].Field != tc.wantField {
				t.Fatalf("error %v, want one on %s", err, tc.wantField)
			}
		})
	}
	c := capiEndpoint(ldu(1, 1000)).Clone()
	d := c.Clone()
	d.LimitedDataUse.State = 1001
	if c.LimitedDataUse.State != 1000 {
		t.Fatal("Clone shares LimitedDataUse")
	}
}
