package piinorm

import (
	"strings"
	"testing"
)

func TestPhone(t *testing.T) {
	tests := []struct{ name, in, region, want string }{
		// International forms: the region does not matter.
		{"trunk 0 after country code", "+44 (0)20 7946 0958", "", "442079460958"},
		{"trunk 0 after country code, other region", "+44 (0)20 7946 0958", "IN", "442079460958"},
		{"country code in parentheses", "(+1) 650-253-0000", "", "16502530000"},
		{"tel URI", "tel:+1-650-253-0000", "", "16502530000"},
		{"dashes", "+91-98765-43210", "IN", "919876543210"},
		{"trunk 0 after country code, India", "+91 098765 43210", "", "919876543210"},
		{"German (0)", "+49 (0) 30 1234567", "", "49301234567"},
		{"double plus", "++44 20 7946 0958", "", "442079460958"},
		{"full-width digits", "+９１ ９８７６５ ４３２１０", "", "919876543210"},
		{"Arabic-Indic digits", "+٩١٩٨٧٦٥٤٣٢١٠", "", "919876543210"},
		// Leading 00: the international prefix of the region, or of none.
		{"00 with region IN", "0091 98765 43210", "IN", "919876543210"},
		{"00 spaced", "00 91 98765 43210", "IN", "919876543210"},
		{"00 without region", "0044 20 7946 0958", "", "442079460958"},
		{"00 where the prefix is 011", "0044 20 7946 0958", "US", "442079460958"},
		// National forms are read in the region.
		{"GB national", "020 7946 0958", "GB", "442079460958"},
		{"IN national", "98765 43210", "IN", "919876543210"},
		{"IN trunk 0", "09876543210", "IN", "919876543210"},
		{"IN already with country code", "919876543210", "IN", "919876543210"},
		{"US national", "(650) 253-0000", "US", "16502530000"},
		{"US with 1", "1 650 253 0000", "US", "16502530000"},
		{"FR national", "06 12 34 56 78", "FR", "33612345678"},
		{"lower-case region", "020 7946 0958", "gb", "442079460958"},
		{"vanity letters", "1-800-FLOWERS", "US", "18003569377"},
		// Without a (known) region a national number keeps its digits.
		{"national without region", "98765 43210", "", "9876543210"},
		{"national, unknown region", "9876543210", "ZZ", "9876543210"},
		{"national trunk 0 without region", "020 7946 0958", "", "2079460958"},
		// Extensions are not part of the number.
		{"ext.", "+1 650-253-0000 ext. 123", "", "16502530000"},
		{"x", "650-253-0000 x123", "US", "16502530000"},
		{"RFC 3966 ext", "+1 (650) 253-0000;ext=12", "", "16502530000"},
		// Garbage gives nothing.
		{"empty", "", "IN", ""},
		{"blank", "   ", "IN", ""},
		{"letters", "abc", "IN", ""},
		{"too short", "12345", "IN", ""},
		{"too long", strings.Repeat("9", 30), "IN", ""},
		{"plus only", "+", "", ""},
		{"huge input", strings.Repeat("+1 650 ", 1000), "US", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Phone(tt.in, tt.region); got != tt.want {
				t.Errorf("Phone(%q, %q) = %q, want %q", tt.in, tt.region, got, tt.want)
			}
		})
	}
}

// FuzzPhone: Phone never panics and returns ASCII digits or "".
func FuzzPhone(f *testing.F) {
	for _, s := range []string{"+44 (0)20 7946 0958", "(+1) 650-253-0000", "0091 98765 43210", "020 7946 0958",
		"+1 650-253-0000 ext. 123", "tel:+1-650-253-0000;ext=1", "1-800-FLOWERS", "+٩١٩٨٧٦٥٤٣٢١٠", "", "+", "abc"} {
		for _, r := range []string{"", "IN", "GB", "US", "ZZ", "x"} {
			f.Add(s, r)
		}
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		got := Phone(raw, region)
		if got != "" && !isDigits(got) {
			t.Fatalf("Phone(%q, %q) = %q, not digits", raw, region, got)
		}
		if len(got) > 20 {
			t.Fatalf("Phone(%q, %q) = %q, longer than any E.164 number", raw, region, got)
		}
	})
}
