package endpoint

import (
	"slices"
	"strings"
	"testing"
	"time"
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

// Switched on at t1, off at t2, on at t3: each time gets the ordering in
// force then; a write without a change keeps the history.
func TestOrderingChanges(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	e := Endpoint{ID: "crm"}
	e.NoteOrdering(nil, t0)
	if len(e.OrderingChanges) != 0 {
		t.Fatalf("new unordered endpoint: %v", e.OrderingChanges)
	}
	at := func(d int) time.Time { return t0.Add(time.Duration(d) * time.Second) }
	for i, ord := range []string{OrderingPerVisitor, OrderingNone, OrderingNone, OrderingPerVisitor} {
		prev := e.Clone()
		e.Ordering = ord
		e.NoteOrdering(&prev, at(10*(i+1)))
	}
	want := []time.Time{at(10), at(20), at(40)}
	if !slices.Equal(e.OrderingChanges, want) {
		t.Fatalf("changes %v, want %v", e.OrderingChanges, want)
	}
	for _, tc := range []struct {
		d    int
		want bool
	}{{0, false}, {10, true}, {15, true}, {20, false}, {39, false}, {40, true}, {99, true}} {
		if got := e.OrderedAt(at(tc.d)); got != tc.want {
			t.Errorf("OrderedAt(+%ds) = %v, want %v", tc.d, got, tc.want)
		}
	}
	if err := e.validateOrdering(); err != nil {
		t.Errorf("valid history: %v", err)
	}
	e.OrderingChanges = []time.Time{at(2), at(1)}
	if len(e.validateOrdering()) == 0 {
		t.Error("descending history accepted")
	}
	for range MaxOrderingChanges + 3 {
		prev := e.Clone()
		e.Ordering = map[bool]string{true: OrderingNone, false: OrderingPerVisitor}[e.Ordered()]
		e.NoteOrdering(&prev, t0) // not after the last one: moved just after it
	}
	if n := len(e.OrderingChanges); n != MaxOrderingChanges || len(e.validateOrdering()) != 0 {
		t.Errorf("%d changes kept, valid: %v", n, e.validateOrdering())
	}
}
