package endpoint

import (
	"errors"
	"math"
	"testing"
)

func TestValidateFlow(t *testing.T) {
	cases := []struct {
		name      string
		rate      float64
		burst     int
		wantField string
	}{
		{"unlimited", 0, 0, ""},
		{"50 per second", 50, 0, ""},
		{"one a minute", 1.0 / 60, 0, ""},
		{"with burst", 50, 10, ""},
		{"negative rate", -1, 0, "rate_limit"},
		{"NaN rate", math.NaN(), 0, "rate_limit"},
		{"infinite rate", math.Inf(1), 0, "rate_limit"},
		{"rate too high", MaxRateLimit + 1, 0, "rate_limit"},
		{"negative burst", 50, -1, "rate_burst"},
		{"burst too high", 50, MaxRateBurst + 1, "rate_burst"},
		{"burst without rate", 0, 5, "rate_burst"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := webhook(func(e *Endpoint) { e.RateLimit, e.RateBurst = c.rate, c.burst })
			err := e.Validate(Checks{})
			if c.wantField == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.wantField {
				t.Fatalf("want a problem with %s, got %v", c.wantField, err)
			}
		})
	}
}

func TestBurstDefault(t *testing.T) {
	e := webhook(func(e *Endpoint) { e.RateLimit = 5 })
	if !e.Limited() || e.Burst() != 1 {
		t.Fatalf("limited %v burst %d, want true 1", e.Limited(), e.Burst())
	}
	e.RateBurst = 7
	if e.Burst() != 7 {
		t.Fatalf("burst %d, want 7", e.Burst())
	}
}
