package controlplane

import "github.com/popinbridge/bridge/internal/delivery"

// Flow is an endpoint's live flow control on the node that answers
// (internal/delivery): effective concurrency, rate limit and this node's
// share, queue depth, Retry-After pause.
type Flow = delivery.Flow

// FlowReporter is implemented by an Engine that can tell an endpoint's
// flow control; the endpoint's reads and its stats (health) then show it
// as "flow". False when the engine does not deliver to the endpoint.
type FlowReporter interface {
	Flow(endpointID string) (Flow, bool)
}

// flowOf is the endpoint's flow from the engine, nil when it has none.
func (m *Manager) flowOf(id string) *Flow {
	fr, ok := m.set.Engine.(FlowReporter)
	if !ok {
		return nil
	}
	if fl, ok := fr.Flow(id); ok {
		return &fl
	}
	return nil
}
