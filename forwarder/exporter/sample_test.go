package exporter

import "testing"

func TestSampleOf(t *testing.T) {
	for _, c := range []struct {
		m    map[string]string
		want string
	}{
		{map[string]string{"popin_captured": "Lead", "a": "X"}, "popin_captured"},
		{map[string]string{"popin_captured": "", "b": "Y", "a": "X"}, "a"},
		{map[string]string{"z": ""}, "popin_captured"},
		{nil, "popin_captured"},
	} {
		if got := SampleOf(c.m); got != c.want {
			t.Errorf("SampleOf(%v) = %q, want %q", c.m, got, c.want)
		}
	}
}
