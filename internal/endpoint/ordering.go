package endpoint

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
		return nil
	}
	return []error{fieldErr("ordering", "%q is not one of none, per_visitor", x.Ordering)}
}
