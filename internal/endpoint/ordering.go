package endpoint

import (
	"slices"
	"time"
)

// Orderings of an endpoint's deliveries.
const (
	// OrderingNone (the default, also "") delivers as fast as possible: a
	// visitor's events may arrive in any order, a failing one does not
	// hold back the next.
	OrderingNone = "none"
	// OrderingPerVisitor delivers the events of one visitor (uid, else
	// aid) in the order they were logged; a failing event holds back only
	// that visitor's later events, until it succeeds or is dead-lettered.
	OrderingPerVisitor = "per_visitor"
)

// Ordered reports whether the endpoint has ordering per_visitor.
func (e *Endpoint) Ordered() bool { return e.Ordering == OrderingPerVisitor }

// VisitorKey is what ordering per_visitor orders by: the event's uid,
// else its aid ("" when it has neither: such events are ordered together).
func VisitorKey(uid, aid string) string {
	if uid != "" {
		return "u:" + uid
	}
	if aid != "" {
		return "a:" + aid
	}
	return ""
}

func (x *Endpoint) validateOrdering() []error {
	switch x.Ordering {
	case "", OrderingNone, OrderingPerVisitor:
	default:
		return []error{fieldErr("ordering", "%q is not one of none, per_visitor", x.Ordering)}
	}
	if len(x.OrderingChanges) > MaxOrderingChanges {
		return []error{fieldErr("ordering_changes", "%d changes: at most %d", len(x.OrderingChanges), MaxOrderingChanges)}
	}
	for i := 1; i < len(x.OrderingChanges); i++ {
		if !x.OrderingChanges[i].After(x.OrderingChanges[i-1]) {
			return []error{fieldErr("ordering_changes", "not in ascending order")}
		}
	}
	return nil
}

// OrderingDelay is how long after a change of ordering is stored the
// change takes effect: every node must hold the new version before any
// event received after the switch time is read, so that the unordered and
// the ordered reader of the log agree on every event (a node that learns
// of it later may mis-assign events received in between). It also covers
// clock skew between nodes.
const OrderingDelay = 5 * time.Second

// MaxOrderingChanges bounds OrderingChanges; the oldest are dropped.
const MaxOrderingChanges = 16

// OrderedAt reports whether an event received at t is delivered ordered:
// by the ordering in force at t, i.e. the current one flipped once for
// every change of OrderingChanges after t. Every node and every restart
// decides alike, from the stored endpoint.
func (e *Endpoint) OrderedAt(t time.Time) bool {
	ordered := e.Ordered()
	for i := len(e.OrderingChanges) - 1; i >= 0 && t.Before(e.OrderingChanges[i]); i-- {
		ordered = !ordered
	}
	return ordered
}

// EverOrdered reports whether some events may be delivered ordered: the
// endpoint is ordered or was within its kept changes.
func (e *Endpoint) EverOrdered() bool { return e.Ordered() || len(e.OrderingChanges) > 0 }

// NoteOrdering records a change of ordering from prev (nil: a new
// endpoint, which was "none") taking effect at at, keeping prev's earlier
// changes (at most MaxOrderingChanges). Without a change it keeps prev's.
// The control plane calls it on every write of an endpoint.
func (e *Endpoint) NoteOrdering(prev *Endpoint, at time.Time) {
	var changes []time.Time
	was := false
	if prev != nil {
		changes, was = slices.Clone(prev.OrderingChanges), prev.Ordered()
	}
	if was != e.Ordered() {
		if n := len(changes); n > 0 && !at.After(changes[n-1]) {
			at = changes[n-1].Add(time.Nanosecond) // kept ascending
		}
		changes = append(changes, at.UTC())
		if len(changes) > MaxOrderingChanges {
			changes = changes[len(changes)-MaxOrderingChanges:]
		}
	}
	e.OrderingChanges = changes
}
