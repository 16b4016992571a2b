package forwarder

import (
	"fmt"

	"github.com/popinbridge/bridge/internal/endpoint/rules"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/retry"
)

// eventEnv is the rules environment of one event, built on first use and
// shared by the filters of every endpoint the event goes to.
type eventEnv struct {
	ev  *event.Event
	env *rules.Env
	// erased is 0 until asked, then 1 (not erased) or 2 (erased).
	erased int8
}

func (e *eventEnv) get() *rules.Env {
	if e.env == nil {
		e.env = rules.NewEnv(e.ev)
	}
	return e.env
}

// filterOut decides at the fan-out whether the endpoint's filter keeps ev
// away from it. A rejected event is not delivered there and leaves no
// delivery-log row, no failure and no lifecycle report: it is only counted
// in bridge_forwarder_filtered_total. An evaluation error does not filter:
// the delivery goes to the queue (queueOnly, not the fast path), where
// handle fails it permanently with the error (filterFailure).
func (f *Forwarder) filterOut(rt *endpointRuntime, env *eventEnv) (out, queueOnly bool) {
	if rt.filter == nil {
		return false, false
	}
	ok, err := rt.filter.MatchEnv(env.get())
	if err != nil {
		return false, true
	}
	if !ok {
		rt.filtered.Inc()
		return true, false
	}
	return false, false
}

// filterFailure is the permanent error of a delivery whose event the
// endpoint's filter cannot evaluate (nil when it can): such a delivery is
// dead-lettered with the reason, never retried.
func (rt *endpointRuntime) filterFailure(ev *event.Event) error {
	if rt.filter == nil {
		return nil
	}
	if _, err := rt.filter.Match(ev); err != nil {
		return retry.Permanent(fmt.Errorf("filter: %w", err))
	}
	return nil
}
