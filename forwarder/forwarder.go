// Package forwarder delivers events from the durable event log to
// destinations. It is one pipeline, read top to bottom:
//
//	fanout.go   the log's "forwarder" reader: one delivery per (event,
//	            subscribed endpoint); a segment is acked once every
//	            delivery of it is settled (delivered, queued, dead)
//	runner.go   one per endpoint: its slots (concurrency) and its durable
//	            queue (package queue), fetched no faster than slots free up
//	handle.go   the retry decision, made once: done, retry at the
//	            schedule's time (a new queued message), or dead (package
//	            deadletter); every attempt a row (package deliverylog)
//	export      the per-attempt timeout around the exporter
//	exporter/   what a destination implements: webhook, capi
//
// fastpath.go decorates the first attempts of healthy endpoints whose
// exporter takes one event per request: made straight from the fan-out,
// without a disk write, within fast_path_budget (the bench shows the queue
// alone is an order of magnitude slower). The forwarder keeps no endpoint
// state: endpoints come from the control plane (SetEndpoints) and every
// attempt goes back to it (Observer).
//
// Guarantees: at least once per (event, endpoint) across crashes; the same
// webhook-id on every attempt so receivers can drop duplicates; a slow or
// dead endpoint only delays itself; an endpoint that does not validate is
// left out while the others deliver.
package forwarder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/forwarder/deadletter"
	"github.com/popinbridge/bridge/forwarder/deliverylog"
	"github.com/popinbridge/bridge/forwarder/internal/httpsend"
	"github.com/popinbridge/bridge/forwarder/queue"
	dlv "github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/logsample"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/ssrf"
)

// Log is what the forwarder needs from the event log: a named durable
// cursor. *eventlog.Log implements it.
type Log interface {
	Reader(name string) (eventlog.Reader, error)
}

// Observer is told about every attempt (the control plane's lifecycle:
// failure tracking, auto-disable after a 410, operational events). Calls
// must not block.
type Observer = dlv.Observer

// Settings are the code-supplied dependencies.
type Settings struct {
	Logger     *slog.Logger          // nil: slog.Default()
	Registerer prometheus.Registerer // nil: metrics not registered
	Log        Log                   // required for Start
	// NATS holds the delivery queue and the dead letters (internal/natsrv,
	// started before Start). Required for Start.
	NATS     natsrv.JetStreamer
	Sites    site.Registry      // default_phone_region and PII policy of sites; optional
	DB       deliverylog.Writer // delivery log; nil: attempts are not recorded
	Observer Observer           // optional
	// Suppression is the list of erased people (*suppress.List); nil: none.
	Suppression Suppression
	_           struct{}
}

type lifecycle int

const (
	stateNew lifecycle = iota
	stateStarted
	stateClosed
)

// Repeated log lines of the delivery path (per message and endpoint) are
// written at most logBurst times per logInterval, then counted.
const (
	logBurst    = 5
	logInterval = time.Minute
)

// Forwarder is the delivery engine. Create with New, then Start.
type Forwarder struct {
	cfg    Config
	p      parsed
	set    Settings
	logger *slog.Logger
	logs   *logsample.Sampler // repeated lines of the delivery path
	m      *metrics
	guard  *ssrf.Guard
	client *httpsend.Client
	dlog   *deliverylog.Buffer
	logPol deliverylog.Policy

	mu      sync.Mutex
	state   lifecycle
	invalid map[string]error // endpoints left out by SetEndpoints, by id
	runners map[string]*runner
	q       *queue.Queue
	dead    *deadletter.Store
	cancel  context.CancelFunc
	bg      sync.WaitGroup

	routes atomic.Pointer[routeTable]
	// lanes is the runners by endpoint id, for the fan-out (copy on write
	// under mu).
	lanes    atomic.Pointer[map[string]*runner]
	recent   recentSet
	handoffs handoffs
	win      *window
	// endpointsSet is closed once the endpoints are known (cfg.Endpoints
	// given to New, or the first SetEndpoints): the fan-out waits for it.
	endpointsSet chan struct{}
	setOnce      sync.Once
	acks         chan *segTracker
	ackStop      chan struct{}
	ackDone      chan struct{}
	// nodes is how many forwarder nodes share the rate limits (nodes.go),
	// counted in nodesKV under this node's nodeID.
	nodes   atomic.Int32
	nodesKV jetstream.KeyValue
	nodeID  string
	// Ordered delivery (ordered_fanout.go): whether the serial fan-out
	// runs (started once under mu).
	bgctx    context.Context
	serialOn atomic.Bool
}

// New checks cfg (cfg.Endpoints included: an invalid one is a startup
// error here, while SetEndpoints leaves it out at run time) and returns a
// Forwarder not yet started.
func New(cfg Config, set Settings) (*Forwarder, error) {
	p, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	logger := set.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("component", "forwarder")
	m, err := newMetrics(set.Registerer)
	if err != nil {
		return nil, err
	}
	dlog, err := deliverylog.New(set.DB, cfg.LogBufferRows, p.logFlush, logger, set.Registerer)
	if err != nil {
		return nil, fmt.Errorf("forwarder: %w", err)
	}
	guard, _ := ssrf.New(cfg.AllowedPrivateTargets)
	f := &Forwarder{
		cfg: cfg, p: p, set: set, logger: logger, m: m, guard: guard, dlog: dlog,
		logs:         logsample.New(logger, logsample.Config{Burst: logBurst, Interval: logInterval}),
		logPol:       deliverylog.Policy{MaxBodyBytes: cfg.MaxLoggedBodyBytes, RawBodies: deliverylog.RawPIISites(set.Sites)},
		invalid:      map[string]error{},
		runners:      map[string]*runner{},
		win:          newWindow(openDeliveries),
		acks:         make(chan *segTracker, openSegments),
		endpointsSet: make(chan struct{}),
		ackStop:      make(chan struct{}),
		ackDone:      make(chan struct{}),
		nodeID:       randomHex(8),
	}
	f.recent.window = p.dedup
	f.lanes.Store(&map[string]*runner{})
	f.client = httpsend.NewEgress(guard, p.timeout, max(cfg.Concurrency*2, 16), cfg.MaxResponseBytes, httpsend.Egress{Proxy: p.proxy})
	f.routes.Store(&routeTable{bySite: map[string][]*endpointRuntime{}, byID: map[string]*endpointRuntime{}})
	if err := f.setLocked(cfg.Endpoints); err != nil {
		return nil, err
	}
	if cfg.Endpoints != nil {
		f.setOnce.Do(func() { close(f.endpointsSet) })
	}
	return f, nil
}

// Start creates the queue, loads endpoint state and starts the fan-out and
// one runner per endpoint. The event log must be started.
func (f *Forwarder) Start(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch f.state {
	case stateStarted:
		return nil
	case stateClosed:
		return errors.New("forwarder: start after shutdown")
	}
	if f.set.Log == nil || f.set.NATS == nil {
		return errors.New("forwarder: Settings.Log and Settings.NATS are required")
	}
	js := f.set.NATS.JetStream()
	if js == nil {
		return errors.New("forwarder: NATS is not started (no JetStream)")
	}
	reader, err := f.set.Log.Reader(f.cfg.ReaderName)
	if err != nil {
		return fmt.Errorf("forwarder: reader %s: %w", f.cfg.ReaderName, err)
	}
	eventlog.Follow(reader) // the fan-out takes each segment as it comes
	if err := f.dlog.Start(ctx); err != nil {
		return fmt.Errorf("forwarder: %w", err)
	}
	var (
		q    *queue.Queue
		dead *deadletter.Store
	)
	err = natsrv.StartRetrying(ctx, f.logger, "forwarder", func(ctx context.Context) (err error) {
		q, dead, err = f.openStreams(ctx, js)
		return err
	})
	if err != nil {
		return fmt.Errorf("forwarder: %w", err)
	}
	f.q, f.dead = q, dead
	bgctx, cancel := context.WithCancel(context.Background())
	f.cancel, f.bgctx = cancel, bgctx
	f.state = stateStarted
	if err := f.openNodes(ctx, js); err != nil {
		f.logger.Warn("live-node bucket not available; rate limits are applied as if this node were alone", "err", err)
	} else {
		f.bg.Add(1)
		go func() { defer f.bg.Done(); f.beat(bgctx) }()
	}
	for id := range f.routes.Load().byID {
		if err := f.startRunnerLocked(ctx, id); err != nil {
			f.logger.Error("endpoint runner not started", "endpoint", id, "err", err)
		}
	}
	f.publishLanesLocked()
	f.startOrderedLocked(ctx)
	go func() { defer close(f.ackDone); f.acker(f.ackStop) }()
	f.bg.Add(1)
	go func() {
		defer f.bg.Done()
		// Nothing is read from the log before the endpoints are known: a
		// segment fanned out to no endpoint would be acked and its
		// deliveries lost.
		select {
		case <-f.endpointsSet:
		case <-bgctx.Done():
			return
		}
		f.fanout(bgctx, reader)
	}()
	return nil
}

// Shutdown stops the fan-out and every runner, waits for attempts in
// flight (until ctx ends: unfinished ones are redelivered after a restart),
// and flushes the delivery log. Safe without Start and twice.
func (f *Forwarder) Shutdown(ctx context.Context) error {
	f.mu.Lock()
	if f.state != stateStarted {
		f.state = stateClosed
		f.mu.Unlock()
		return f.dlog.Shutdown(ctx) // rows of Test sends made before Start
	}
	f.state = stateClosed
	f.cancel()
	runners := make([]*runner, 0, len(f.runners))
	for _, r := range f.runners {
		runners = append(runners, r)
	}
	f.runners = map[string]*runner{}
	f.publishLanesLocked()
	f.mu.Unlock()

	var errs []error
	for _, r := range runners {
		r.stop()
	}
	for _, r := range runners {
		if err := r.wait(ctx); err != nil {
			errs = append(errs, fmt.Errorf("endpoint %s: %w", r.id, err))
		}
	}
	done := make(chan struct{})
	go func() { f.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("forwarder: fan-out: %w", ctx.Err()))
	}
	// Retries and hand-offs of the attempts that ended are written, then
	// the segments they settled are acked.
	f.q.Close(ctx)
	close(f.ackStop)
	select {
	case <-f.ackDone:
	case <-ctx.Done():
	}
	f.logs.Flush(ctx) // the counts of lines still suppressed
	f.closeClients()
	errs = append(errs, f.dlog.Shutdown(ctx))
	return errors.Join(errs...)
}

// syncRunnersLocked starts runners of new endpoints, stops removed ones and
// wakes the others so they see status changes.
func (f *Forwarder) syncRunnersLocked(ctx context.Context) error {
	if f.state != stateStarted {
		return nil
	}
	routes := f.routes.Load()
	var errs []error
	for id, r := range f.runners {
		if _, ok := routes.byID[id]; !ok {
			r.stop()
			r.abort() // nobody waits for it: attempts in flight are cut
			delete(f.runners, id)
			f.m.drop(id)
			continue
		}
		r.wake()
	}
	for id := range routes.byID {
		if _, ok := f.runners[id]; !ok {
			if err := f.startRunnerLocked(ctx, id); err != nil {
				errs = append(errs, err)
			}
		}
	}
	f.publishLanesLocked()
	f.startOrderedLocked(ctx)
	return errors.Join(errs...)
}

// publishLanesLocked gives the fan-out the current runners.
func (f *Forwarder) publishLanesLocked() {
	m := make(map[string]*runner, len(f.runners))
	for id, r := range f.runners {
		m[id] = r
	}
	f.lanes.Store(&m)
}

// wakeRunner tells an endpoint's runner that its queue got deliveries.
func (f *Forwarder) wakeRunner(id string) {
	if r := (*f.lanes.Load())[id]; r != nil {
		r.wake()
	}
}

func (f *Forwarder) startRunnerLocked(ctx context.Context, id string) error {
	cons, err := f.q.Consumer(ctx, id)
	if err != nil {
		return err
	}
	r := newRunner(f, id, cons)
	f.runners[id] = r
	f.m.zero(id)
	r.start()
	return nil
}

// ackWait is how long a fetched delivery may stay unacked before JetStream
// hands it out again (after a crash): beyond one attempt; longer work calls
// InProgress.
func ackWait(timeout time.Duration) time.Duration { return timeout + 10*time.Second }

// openStreams opens the delivery queue and the dead-letter store; on
// failure neither is left open.
func (f *Forwarder) openStreams(ctx context.Context, js jetstream.JetStream) (*queue.Queue, *deadletter.Store, error) {
	q, err := queue.Open(ctx, js, queue.Config{Prefix: f.cfg.StreamPrefix, MaxPerEndpoint: f.cfg.MaxQueuedPerEndpoint,
		MaxBytes: f.cfg.QueueMaxBytes, Dedup: f.p.dedup, AckWait: ackWait(f.p.timeout), Replicas: f.set.NATS.Replicas()}, f.logger, f.wakeRunner)
	if err != nil {
		return nil, nil, err
	}
	dead, err := deadletter.Open(ctx, js, f.cfg.StreamPrefix, f.p.deadTTL, f.set.NATS.Replicas(), f.logger)
	if err != nil {
		q.Close(ctx)
		return nil, nil, err
	}
	return q, dead, nil
}
