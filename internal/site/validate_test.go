package site

import (
	"strings"
	"testing"

	"github.com/popinbridge/bridge/internal/consent"
)

func TestValidateLimitedDataUse(t *testing.T) {
	for _, tc := range []struct {
		name string
		ldu  *consent.LimitedDataUse
		want []string // substrings of the error; none: valid
	}{
		{"unset", nil, nil},
		{"geolocate", &consent.LimitedDataUse{}, nil},
		{"california", &consent.LimitedDataUse{Country: 1, State: 1000}, nil},
		{"bad country and state", &consent.LimitedDataUse{Country: 7, State: 5}, []string{"limited_data_use.country: 7", "limited_data_use.state: 5"}},
		{"state without the USA", &consent.LimitedDataUse{State: 1000}, []string{"limited_data_use.state: a state needs country 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Site{ID: "acme", WriteKey: "pk", LimitedDataUse: tc.ldu}
			err := s.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("valid site refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("invalid site accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
