package endpoint

import (
	"testing"

	"github.com/popinbridge/bridge/internal/ssrf"
)

// edited is e changed by mod (nil: unchanged): the test cases' endpoints
// are a valid one of a type with one edit.
func edited(e Endpoint, mod func(*Endpoint)) Endpoint {
	if mod != nil {
		mod(&e)
	}
	return e
}

// validateCase is an endpoint, whether it is validated as declared in the
// config file (decl), and the field of its first problem ("" valid).
type validateCase struct {
	name      string
	ep        Endpoint
	decl      bool
	wantField string
}

// testGuard is an SSRF guard that allows no private target.
func testGuard(t *testing.T) *ssrf.Guard {
	t.Helper()
	guard, err := ssrf.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return guard
}

// checkFirstProblem fails t unless err is nil where wantField is "", or
// names a problem with wantField first otherwise. It reports whether err
// is such a problem, for the caller's further checks of its text.
func checkFirstProblem(t *testing.T, err error, wantField string) bool {
	t.Helper()
	if wantField == "" {
		if err != nil {
			t.Fatalf("want valid, got %v", err)
		}
		return false
	}
	if probs := Problems(err); len(probs) == 0 || probs[0].Field != wantField {
		t.Fatalf("want a problem with %q first, got %v", wantField, err)
	}
	return true
}
