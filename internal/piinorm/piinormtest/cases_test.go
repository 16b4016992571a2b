package piinormtest

import (
	"testing"

	"github.com/popinbridge/bridge/internal/piinorm"
)

// Case names are unique (they name subtests) and expected values are in
// normal form.
func TestCases(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Cases {
		if seen[c.Name] {
			t.Errorf("duplicate case name %q", c.Name)
		}
		seen[c.Name] = true
		if c.Phone != "" && c.Phone != piinorm.Phone(c.Phone, "") {
			t.Errorf("%s: Phone %q is not in normal form", c.Name, c.Phone)
		}
		if c.Email != piinorm.Email(c.Email) {
			t.Errorf("%s: Email %q is not in normal form", c.Name, c.Email)
		}
	}
}
