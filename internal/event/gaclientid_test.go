package event

import (
	"strings"
	"testing"
)

func TestValidGAClientID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"1234567890.1763920000", true},
		{"1.2", true},
		{strings.Repeat("9", 20) + "." + strings.Repeat("9", 20), true},
		{strings.Repeat("9", 21) + "." + strings.Repeat("9", 20), false}, // over the bound
		{"", false},
		{"1234567890", false},                  // no dot
		{"GA1.1.1234567890.1763920000", false}, // the raw cookie
		{"1.2.3", false},
		{".2", false},
		{"1.", false},
		{"1..2", false},
		{"12a4.5", false},
		{"1 .2", false},
		{"１.2", false}, // not ASCII digits
		{"-1.2", false},
	} {
		if got := ValidGAClientID(tc.in); got != tc.want {
			t.Errorf("ValidGAClientID(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// FuzzValidGAClientID: whatever it accepts is digits, one dot, digits,
// within the bound; it never panics.
func FuzzValidGAClientID(f *testing.F) {
	for _, s := range []string{"1234567890.1763920000", "GA1.1.1.2", "", ".", "1.2.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidGAClientID(s) {
			return
		}
		a, b, ok := strings.Cut(s, ".")
		if !ok || a == "" || b == "" || len(s) > MaxGAClientIDLen || strings.Trim(a+b, "0123456789") != "" {
			t.Fatalf("accepted %q", s)
		}
	})
}
