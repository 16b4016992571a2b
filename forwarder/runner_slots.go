package forwarder

import "time"

// slotPool returns the current slot pool, resized when the endpoint's
// concurrency changed (attempts holding the old pool finish on it).
func (r *runner) slotPool(rt *endpointRuntime) chan struct{} {
	r.slotMu.Lock()
	defer r.slotMu.Unlock()
	if rt != nil && cap(r.slots) != rt.conc {
		r.slots = make(chan struct{}, rt.conc)
		eff := rt.conc
		if r.aimd.lowered.Load() { // lock order: slotMu, then aimd.mu
			r.aimd.mu.Lock()
			eff = min(r.aimd.limit, rt.conc)
			r.aimd.mu.Unlock()
		}
		r.f.m.concurrency.WithLabelValues(r.id).Set(float64(eff))
		select {
		case r.aimd.kick <- struct{}{}: // the throttle moves to the new pool
		default:
		}
	}
	return r.slots
}

// acquire takes one slot, or fails when the runner stops or deadline (if
// not nil) fires first. It returns the pool to release the slot to.
func (r *runner) acquire(deadline <-chan time.Time) (chan struct{}, bool) {
	s := r.slotPool(r.runtime())
	select {
	case s <- struct{}{}:
		return s, true
	case <-r.ctx.Done():
		return nil, false
	case <-deadline:
		return nil, false
	}
}

// tryAcquire takes one slot if one is free now (not when stopping).
func (r *runner) tryAcquire() (chan struct{}, bool) {
	if r.ctx.Err() != nil {
		return nil, false
	}
	s := r.slotPool(r.runtime())
	select {
	case s <- struct{}{}:
		return s, true
	default:
		return nil, false
	}
}
