package site

import "testing"

func TestPhoneRegion(t *testing.T) {
	reg := NewStatic([]Site{
		{ID: "in", WriteKey: "k1", DefaultPhoneRegion: "IN"},
		{ID: "none", WriteKey: "k2"},
	})
	for _, tc := range []struct {
		name string
		r    Registry
		id   string
		want string
	}{
		{"site with a region", reg, "in", "IN"},
		{"site without one", reg, "none", ""},
		{"unknown site", reg, "gone", ""},
		{"no registry", nil, "in", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PhoneRegion(tc.r, tc.id); got != tc.want {
				t.Fatalf("PhoneRegion(%q) = %q, want %q", tc.id, got, tc.want)
			}
		})
	}
}
