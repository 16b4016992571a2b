package forwarder

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// runner delivers one endpoint's queue: it pulls no more deliveries than it
// has free slots (the endpoint's concurrency), so a slow endpoint holds only
// its own slots, and nothing waits in memory that is not being attempted.
type runner struct {
	f    *Forwarder
	id   string
	cons jetstream.Consumer
	sem  chan struct{}

	ctx      context.Context
	cancel   context.CancelFunc
	wakeCh   chan struct{}
	done     chan struct{}
	inflight sync.WaitGroup
}

func newRunner(f *Forwarder, id string, cons jetstream.Consumer) *runner {
	ctx, cancel := context.WithCancel(context.Background())
	return &runner{f: f, id: id, cons: cons, ctx: ctx, cancel: cancel,
		wakeCh: make(chan struct{}, 1), done: make(chan struct{})}
}

func (r *runner) start() { go r.loop() }

func (r *runner) stop() { r.cancel() }

func (r *runner) wake() {
	select {
	case r.wakeCh <- struct{}{}:
	default:
	}
}

// wait waits for the loop and the attempts in flight.
func (r *runner) wait(ctx context.Context) error {
	all := make(chan struct{})
	go func() { <-r.done; r.inflight.Wait(); close(all) }()
	select {
	case <-all:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *runner) runtime() *endpointRuntime { return r.f.routes.Load().byID[r.id] }

func (r *runner) loop() {
	defer close(r.done)
	depth := time.NewTicker(5 * time.Second)
	defer depth.Stop()
	r.updateDepth()
	var slots chan struct{}
	conc := 0
	for r.ctx.Err() == nil {
		select {
		case <-depth.C:
			r.updateDepth()
		default:
		}
		rt := r.runtime()
		if rt == nil {
			return
		}
		if !rt.active() {
			select {
			case <-r.ctx.Done():
			case <-r.wakeCh:
			case <-time.After(5 * time.Second):
			}
			continue
		}
		if rt.conc != conc { // concurrency changed: new slot pool once the old one drains
			r.inflight.Wait()
			conc = rt.conc
			slots = make(chan struct{}, conc)
		}
		if rt.cfg.Type == TypeFacebookCAPI {
			r.pullCAPI(rt, slots)
		} else {
			r.pullWebhook(slots)
		}
	}
}

// acquire takes one slot, or fails when the runner stops.
func (r *runner) acquire(slots chan struct{}) bool {
	select {
	case slots <- struct{}{}:
		return true
	case <-r.ctx.Done():
		return false
	}
}

// pullWebhook fetches up to the free slots and attempts each delivery in
// its own goroutine as it arrives.
func (r *runner) pullWebhook(slots chan struct{}) {
	if !r.acquire(slots) {
		return
	}
	n := 1
	for n < cap(slots) {
		select {
		case slots <- struct{}{}:
			n++
			continue
		default:
		}
		break
	}
	batch, err := r.cons.Fetch(n, jetstream.FetchMaxWait(time.Second))
	if err != nil {
		for i := 0; i < n; i++ {
			<-slots
		}
		r.fetchFailed(err)
		return
	}
	used := 0
	for msg := range batch.Messages() {
		used++
		r.inflight.Add(1)
		go func() {
			defer func() { <-slots; r.inflight.Done() }()
			r.handleWebhook(msg)
		}()
	}
	for i := used; i < n; i++ {
		<-slots
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
		r.fetchFailed(err)
	}
}

// pullCAPI fetches up to capi_batch_size deliveries (waiting at most
// capi_batch_wait for the batch to fill) and sends them in one request.
func (r *runner) pullCAPI(rt *endpointRuntime, slots chan struct{}) {
	if !r.acquire(slots) {
		return
	}
	batch, err := r.cons.Fetch(r.f.cfg.CAPIBatchSize, jetstream.FetchMaxWait(r.f.p.capiWait))
	if err != nil {
		<-slots
		r.fetchFailed(err)
		return
	}
	var msgs []jetstream.Msg
	for msg := range batch.Messages() {
		msgs = append(msgs, msg)
	}
	if len(msgs) == 0 {
		<-slots
		return
	}
	r.inflight.Add(1)
	go func() {
		defer func() { <-slots; r.inflight.Done() }()
		r.handleCAPI(msgs)
	}()
}

func (r *runner) fetchFailed(err error) {
	if r.ctx.Err() != nil {
		return
	}
	r.f.logger.Warn("queue fetch failed; retrying", "endpoint", r.id, "err", err)
	sleepCtx(r.ctx, time.Second)
}

func (r *runner) updateDepth() {
	ctx, cancel := context.WithTimeout(r.ctx, 2*time.Second)
	defer cancel()
	if info, err := r.cons.Info(ctx); err == nil {
		r.f.m.queueDepth.WithLabelValues(r.id).Set(float64(info.NumPending + uint64(info.NumAckPending)))
	}
}

// decode reads a queued delivery; an unreadable one is dropped (terminated)
// with a log line, since no retry can fix it.
func (r *runner) decode(msg jetstream.Msg) (*message, bool) {
	var m message
	if err := json.Unmarshal(msg.Data(), &m); err != nil {
		r.f.logger.Error("unreadable delivery dropped", "endpoint", r.id, "err", err)
		_ = msg.Term()
		return nil, false
	}
	return &m, true
}

// attemptNo is the attempt number of this delivery of msg.
func attemptNo(msg jetstream.Msg, m *message) int {
	n := 1
	if md, err := msg.Metadata(); err == nil {
		n = int(md.NumDelivered)
	}
	return m.PriorAttempts + n
}
