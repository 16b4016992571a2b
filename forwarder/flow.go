package forwarder

import (
	"time"

	dlv "github.com/popinbridge/bridge/internal/delivery"
)

// Flow is an endpoint's flow control on this node now (the endpoint's
// health shows it): effective and configured concurrency, rate limit and
// this node's share, queue depth, and the Retry-After pause. False for an
// endpoint this node does not deliver to (unknown, left out as invalid, or
// before Start).
func (f *Forwarder) Flow(endpointID string) (dlv.Flow, bool) {
	r := (*f.lanes.Load())[endpointID]
	rt := f.routes.Load().byID[endpointID]
	if r == nil || rt == nil {
		return dlv.Flow{}, false
	}
	n := f.liveNodes()
	fl := dlv.Flow{Concurrency: r.effConc(), MaxConcurrency: rt.conc, Nodes: n, QueueDepth: r.depth.Load()}
	if rt.cfg.Limited() {
		fl.RateLimit, fl.RateBurst = rt.cfg.RateLimit, rt.cfg.Burst()
		fl.NodeRateLimit = rt.cfg.RateLimit / float64(n)
	}
	if until := time.Unix(0, r.pausedUntil.Load()); until.After(time.Now()) {
		fl.PausedUntil = &until
	}
	return fl, true
}
