package endpoint

import (
	"strings"
	"testing"
)

func TestValidateOrdering(t *testing.T) {
	for _, tc := range []struct {
		ordering string
		ok       bool
	}{{"", true}, {"none", true}, {"per_visitor", true}, {"per_user", false}, {"PER_VISITOR", false}} {
		e := Endpoint{ID: "crm", Site: "acme", URL: "https://crm.example.com/h", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Ordering: tc.ordering}
		err := e.Validate(Checks{})
		if tc.ok && err != nil {
			t.Errorf("ordering %q: %v", tc.ordering, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "ordering: ")) {
			t.Errorf("ordering %q: want an ordering error, got %v", tc.ordering, err)
		}
	}
	if (&Endpoint{Ordering: OrderingPerVisitor}).Ordered() != true || (&Endpoint{}).Ordered() {
		t.Error("Ordered")
	}
	if VisitorKey("u1", "a1") != "u:u1" || VisitorKey("", "a1") != "a:a1" || VisitorKey("", "") != "" {
		t.Error("VisitorKey")
	}
}
