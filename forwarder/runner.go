package forwarder

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/internal/retry"
)

// idlePoll is the longest an idle runner waits before looking at its queue
// again (retries become due on the server without waking it).
const idlePoll = time.Second

// runner is one endpoint's delivery engine. Its slots (the endpoint's
// concurrency) are shared by two sources: first attempts handed over by the
// fan-out (the fast path, fastpath.go, when on) and deliveries from the
// endpoint's durable queue (first attempts the fast path did not take,
// retries, paused backlog). It fetches from the queue no
// more than it has free slots, so a slow endpoint holds only its own slots,
// and nothing fetched waits in memory without being attempted.
type runner struct {
	f    *Forwarder
	id   string
	cons jetstream.Consumer
	// m holds the endpoint's metric children once it made an attempt (so
	// series appear with the first attempt, as before they were cached).
	m atomic.Pointer[endpointMetrics]

	slotMu sync.Mutex
	slots  chan struct{}

	// fast is the endpoint's fast path; nil when fast_path_budget is 0.
	fast *fastPath
	// dues: when the deliveries this runner put back come due.
	dues dueTimes
	// fetchBackoff spaces queue fetches that fail (the loop's goroutine only).
	fetchBackoff retry.Backoff
	// pausedUntil (unix ns): the endpoint asked to wait (pause.go).
	pausedUntil atomic.Int64
	// rl is the endpoint's rate limit (ratelimit.go).
	rl rateGate
	// aimd is the effective concurrency, lowered by 429s (adapt.go).
	aimd aimd
	// depth is the queue depth last measured.
	depth atomic.Uint64
	// ordStarted: the ordered loops run (ordered_runner.go; under f.mu).
	ordStarted bool

	// ctx ends when the runner stops: nothing new is fetched or started.
	// actx is what attempts run on: a stop lets those in flight finish
	// and settle (a clean stop repeats none), abort cuts them short.
	ctx      context.Context
	cancel   context.CancelFunc
	actx     context.Context
	abort    context.CancelFunc
	wakeCh   chan struct{}
	done     chan struct{}
	inflight sync.WaitGroup
}

func newRunner(f *Forwarder, id string, cons jetstream.Consumer) *runner {
	ctx, cancel := context.WithCancel(context.Background())
	actx, abort := context.WithCancel(context.Background())
	r := &runner{f: f, id: id, cons: cons, ctx: ctx, cancel: cancel, actx: actx, abort: abort,
		wakeCh: make(chan struct{}, 1), done: make(chan struct{}),
		fetchBackoff: retry.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}}
	r.aimd.kick = make(chan struct{}, 1)
	if f.p.fastBudget > 0 {
		r.fast = newFastPath(r, f.p.fastBudget, f.p.fastCooldown)
	}
	if rt := r.runtime(); rt != nil {
		r.slots = make(chan struct{}, rt.conc)
	} else {
		r.slots = make(chan struct{}, 1)
	}
	return r
}

func (r *runner) start() {
	r.f.m.concurrency.WithLabelValues(r.id).Set(float64(cap(r.slotPool(nil))))
	r.inflight.Add(1)
	go func() { defer r.inflight.Done(); r.throttle() }()
	if r.fast != nil {
		r.inflight.Add(1)
		go func() { defer r.inflight.Done(); r.fast.run() }()
	}
	go r.loop()
}

// stop stops fetching and starting attempts; those in flight go on
// (wait) unless aborted.
func (r *runner) stop() { r.cancel() }

func (r *runner) wake() {
	select {
	case r.wakeCh <- struct{}{}:
	default:
	}
}

// wait waits for the loop and the attempts in flight; when ctx ends
// first, those are aborted (and made again after a restart).
func (r *runner) wait(ctx context.Context) error {
	all := make(chan struct{})
	go func() { <-r.done; r.inflight.Wait(); close(all) }()
	defer r.abort()
	select {
	case <-all:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *runner) metrics() *endpointMetrics {
	if m := r.m.Load(); m != nil {
		return m
	}
	m := r.f.m.forEndpoint(r.id)
	r.m.Store(m)
	return m
}

func (r *runner) runtime() *endpointRuntime { return r.f.routes.Load().byID[r.id] }

// idleWait waits until the runner should look at its queue again (see
// dueTimes), or it is woken or stopped.
func (r *runner) idleWait() {
	t := time.NewTimer(r.dues.wait(time.Now()))
	defer t.Stop()
	select {
	case <-r.ctx.Done():
	case <-r.wakeCh:
	case <-t.C:
	}
}

func (r *runner) loop() {
	defer close(r.done)
	depth := time.NewTicker(5 * time.Second)
	defer depth.Stop()
	r.updateDepth()
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
		if r.waitPause() {
			continue
		}
		if !rt.single() {
			r.pullBatch(rt)
		} else if !r.pullSingles(rt) {
			r.idleWait()
		}
	}
}

// pullSingles takes the free slots (at least one, waiting for it), fetches
// at most that many queued deliveries without waiting on the server (and
// no more than the rate limit lets start soon), and attempts each in its
// own goroutine once the rate limit lets it. It reports whether any came.
func (r *runner) pullSingles(rt *endpointRuntime) bool {
	s, ok := r.acquire(nil)
	if !ok {
		return false
	}
	n := 1
	for n < cap(s) {
		select {
		case s <- struct{}{}:
			n++
			continue
		default:
		}
		break
	}
	if k, ok := r.fetchable(rt, n); !ok || k < n {
		for ; n > k; n-- {
			<-s
		}
		if !ok {
			return false
		}
	}
	batch, err := r.cons.FetchNoWait(n)
	if err != nil {
		for i := 0; i < n; i++ {
			<-s
		}
		r.fetchFailed(err)
		return false
	}
	r.fetchBackoff.Reset()
	used := 0
	for msg := range batch.Messages() {
		used++
		if err := r.waitTurn(r.ctx, rt); err != nil {
			<-s
			_ = msg.Nak() // stopping: attempted after the restart
			continue
		}
		r.inflight.Add(1)
		go func() {
			defer func() { <-s; r.inflight.Done() }()
			r.handle([]jetstream.Msg{msg})
		}()
	}
	for i := used; i < n; i++ {
		<-s
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
		r.fetchFailed(err)
	}
	return used > 0
}

// pullBatch fetches up to the exporter's MaxBatch deliveries (waiting at
// most capi_batch_wait for the batch to fill) and sends them in one request.
func (r *runner) pullBatch(rt *endpointRuntime) {
	s, ok := r.acquire(nil)
	if !ok {
		return
	}
	batch, err := r.cons.Fetch(rt.exp.MaxBatch(), jetstream.FetchMaxWait(r.f.p.capiWait))
	if err != nil {
		<-s
		r.fetchFailed(err)
		return
	}
	r.fetchBackoff.Reset()
	var msgs []jetstream.Msg
	for msg := range batch.Messages() {
		msgs = append(msgs, msg)
	}
	if len(msgs) == 0 {
		<-s
		return
	}
	if err := r.waitTurn(r.ctx, rt); err != nil {
		<-s
		for _, m := range msgs {
			_ = m.Nak()
		}
		return
	}
	r.inflight.Add(1)
	go func() {
		defer func() { <-s; r.inflight.Done() }()
		r.handle(msgs)
	}()
}

func (r *runner) fetchFailed(err error) {
	if r.ctx.Err() != nil {
		return
	}
	r.f.logs.Warn(r.id, "queue fetch failed; retrying", "endpoint", r.id, "err", err)
	retry.Sleep(r.ctx, r.fetchBackoff.Next())
}

func (r *runner) updateDepth() {
	ctx, cancel := context.WithTimeout(r.ctx, 2*time.Second)
	defer cancel()
	if info, err := r.cons.Info(ctx); err == nil {
		n := info.NumPending + uint64(info.NumAckPending)
		r.depth.Store(n)
		r.f.m.queueDepth.WithLabelValues(r.id).Set(float64(n))
	}
}
