// Package rules compiles and evaluates an endpoint's filter and transform:
// expressions in the expr language (github.com/expr-lang/expr), typed
// against the event environment below, compiled once per endpoint version
// and evaluated per event without side effects.
//
// # Environment
//
// Every expression sees one event (internal/event) as these variables:
//
//	id           string  the event id (also the webhook-id's suffix)
//	name         string  the event name, e.g. "popin_captured"
//	site         string  the site id
//	source       string  "browser", "popin_server" or "custom"
//	known        bool    the name is in the event catalog
//	uid aid sid  string  Popin visitor id, anonymous id, session id ("" if unknown)
//	seq          int     the SDK's sequence number (0 if none)
//	ts           string  when it happened (RFC 3339, UTC; the received time if the client gave none)
//	received_at  string  when the collector accepted it (RFC 3339, UTC)
//	data         map     the event's data object as received (numbers are floats; {} if absent)
//	ctx          object  url, ref, title, utm (map), fbp, fbc, consent (map), country, ip, ua
//	consent      map     the same as ctx.consent: purpose → bool, missing purposes nil
//
// A missing key of data reads as nil ("data.country == nil"); walking into
// a missing object is an evaluation error unless written with "?."
// ("data.address?.city").
//
// # Filter and transform
//
// A filter evaluates to a bool: true delivers the event to the endpoint.
// A transform evaluates to a map, which becomes the whole JSON body
// (object keys sorted) instead of the default body, e.g.
//
//	{"event": name, "email": data.email, "page": ctx.url}
//
// # Limits
//
// Every evaluation is bounded, so a user's expression cannot stall or
// exhaust the process whatever the event: the source is at most MaxSource
// bytes and MaxNodes syntax nodes; variables (let), reduce and a predicate
// (all, any, map, filter, …) inside another predicate are refused at
// compile time; repeat is not available, and join and replace refuse a
// result over MaxString bytes; each predicate step, range element, array
// and map literal element counts against a budget of Budget per evaluation.
// Work per evaluation is thus linear in the expression's size, the budget
// and the event's size. Evaluation never panics: runtime errors (a type
// mismatch, the budget exceeded) are returned as *Error values.
// Their messages never quote the event's values: expr names the operands of
// a failed operation, and each string and number of the event found in the
// message is replaced by Redacted, since the error reaches the delivery
// log, operational events and the process log.
package rules
