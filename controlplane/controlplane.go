// Package controlplane is the bridge's management plane: the REST API under
// /api/v1 (CONTRACT §10), the replicated state store of sites, endpoints and
// their credentials, and the endpoint lifecycle (auto-disable, operational
// webhooks).
//
// State lives in a JetStream KV bucket shared by every node. Credentials
// (endpoint secret, token, access_token, rotated-out secrets, a site's
// popin_api_key) are sealed with AES-256-GCM under a key derived from the
// master key before they are written; the rest of a record is plain JSON.
// Every node watches the bucket and applies changes made anywhere: sites go
// to the running site.Static registry, endpoints to Engine.Apply.
//
// Sites and endpoints declared in the config file are upserted by Seed. A
// declaration is re-applied only when it changed since it was last seeded,
// so changes made through the API (a rotated secret, a pause) survive
// restarts until the config file itself changes that entry. Runtime state
// (status, failing_since) is never reset by seeding. Entries removed from
// the config file stay in the bucket (delete them through the API).
package controlplane

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/controlplane/internal/seal"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/logsample"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/ssrf"
)

// Settings are the code-supplied parts of the management plane.
type Settings struct {
	Logger     *slog.Logger          // nil: slog.Default()
	Registerer prometheus.Registerer // nil: metrics are not registered

	// AdminToken guards every route. Empty: the API answers 401 to
	// everything (and says so in the log once).
	AdminToken string
	// MasterKey is the 32-byte key that seals credentials at rest.
	MasterKey []byte
	// NATS holds the state bucket (internal/natsrv, started before Start).
	NATS natsrv.JetStreamer
	// Sites, when set, is replaced with the bucket's sites after every change.
	Sites *site.Static
	// Engine delivers (the forwarder). Nil: test, retry and replay answer 503.
	Engine Engine
	// History reads deliveries and events from ClickHouse
	// (NewClickHouseHistory). Nil: deliveries, stats, retry and replay
	// answer 503.
	History History
	// Analytics answers /api/v1/analytics/… (NewClickHouseAnalytics). Nil:
	// those routes answer 503.
	Analytics Analytics
	// Erasures takes POST /api/v1/erasures (erasure.Service). Nil: those
	// routes answer 503.
	Erasures Erasures
	// AllowedPrivateTargets are the CIDRs exempt from the SSRF guard
	// (forwarder.allowed_private_targets): endpoint URLs are checked against
	// it when created or changed, and again after DNS at every delivery.
	AllowedPrivateTargets []string
	// HTTPClient sends operational webhooks. Nil: a client with
	// Config.OpsWebhook.Timeout that follows no redirects and dials through
	// the SSRF guard (AllowedPrivateTargets), like deliveries.
	HTTPClient *http.Client
	// Now is the clock (tests). Nil: time.Now.
	Now func() time.Time

	_ struct{}
}

// Manager is the management plane of one node. Build it with New, then
// Start; Handler serves /api/v1/.
type Manager struct {
	cfg      Config
	set      Settings
	log      *slog.Logger
	box      *seal.Box
	tokenSum [32]byte
	guard    *ssrf.Guard
	now      func() time.Time
	metrics  *metrics
	ops      *notifier
	handler  http.Handler
	// logs samples repeated lines (per endpoint); exhausted aggregates
	// message.attempt.exhausted (exhausted.go).
	logs      *logsample.Sampler
	exhausted *exhaustedWindows

	mu       sync.Mutex
	st       *store
	seeds    []seedRequest
	started  bool
	cancel   context.CancelFunc
	watchErr chan error
	stopOnce sync.Once
	// attempts feed the lifecycle worker (lifecycle.go).
	attempts      chan Attempt
	lifecycleStop chan struct{}
	lifecycleDone chan struct{}
}

// Repeated log lines (per message and endpoint) are written at most
// logBurst times per logInterval, then counted.
const (
	logBurst    = 5
	logInterval = time.Minute
)

type seedRequest struct {
	sites     []site.Site
	endpoints []Endpoint
}

// New checks cfg and settings; it does no I/O.
func New(cfg Config, set Settings) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if set.NATS == nil {
		return nil, errors.New("controlplane: Settings.NATS is required")
	}
	box, err := seal.New(set.MasterKey)
	if err != nil {
		return nil, fmt.Errorf("controlplane: master key: %w", err)
	}
	guard, err := ssrf.New(set.AllowedPrivateTargets)
	if err != nil {
		return nil, fmt.Errorf("controlplane: allowed_private_targets: %w", err)
	}
	m := &Manager{cfg: cfg, set: set, box: box, log: set.Logger, now: set.Now, guard: guard}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.now == nil {
		m.now = time.Now
	}
	if set.AdminToken == "" {
		m.log.Warn("controlplane: admin_token is not set; the management API and UI refuse every request with 401")
	} else {
		m.tokenSum = sha256.Sum256([]byte(set.AdminToken))
	}
	m.attempts = make(chan Attempt, cfg.LifecycleQueue)
	m.lifecycleStop, m.lifecycleDone = make(chan struct{}), make(chan struct{})
	if m.metrics, err = newMetrics(set.Registerer); err != nil {
		return nil, err
	}
	if cfg.OpsWebhook.URL != "" {
		if err := guard.CheckURL(cfg.OpsWebhook.URL); err != nil {
			return nil, fmt.Errorf("controlplane: ops_webhook.url: %w", err)
		}
	}
	m.logs = logsample.New(m.log, logsample.Config{Burst: logBurst, Interval: logInterval, Now: m.now})
	m.exhausted = newExhaustedWindows(cfg.OpsWebhook.ExhaustedWindow)
	m.ops = newNotifier(cfg.OpsWebhook, set.HTTPClient, guard, m.log, m.logs, m.metrics, m.now)
	m.handler = m.routes()
	return m, nil
}

// Handler serves the API; mount it at /api/v1/ (it matches full paths).
func (m *Manager) Handler() http.Handler { return m.handler }

// Start opens (or creates) the bucket, loads it, applies pending seeds,
// hands sites and endpoints to the registry and engine, and keeps watching
// the bucket until Shutdown.
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return errors.New("controlplane: already started")
	}
	js := m.set.NATS.JetStream()
	if js == nil {
		return errors.New("controlplane: NATS is not started")
	}
	replicas := m.cfg.Replicas
	if replicas == 0 {
		replicas = m.set.NATS.Replicas()
	}
	var o opened
	err := natsrv.StartRetrying(ctx, m.log, "controlplane", func(ctx context.Context) (err error) {
		o, err = m.open(ctx, js, replicas)
		return err
	})
	if err != nil {
		return err
	}
	st, w, wctx, cancel := o.st, o.w, o.ctx, o.cancel
	m.st = st
	for _, s := range m.seeds {
		if err := m.seed(ctx, s.sites, s.endpoints); err != nil {
			cancel()
			w.Stop()
			return err
		}
	}
	m.seeds = nil
	st.goLive()
	m.cancel = cancel
	m.watchErr = make(chan error, 1)
	go func() { m.watchErr <- st.follow(wctx, w) }()
	m.ops.start()
	go m.runLifecycle(m.lifecycleStop, m.lifecycleDone)
	m.started = true
	return nil
}

// opened is the bucket's store, loaded, and its watcher, which runs until
// cancel (ctx is the watcher's context).
type opened struct {
	st     *store
	w      jetstream.KeyWatcher
	ctx    context.Context
	cancel context.CancelFunc
}

// open opens (or creates) the bucket and loads it. On failure nothing is
// left running.
func (m *Manager) open(ctx context.Context, js jetstream.JetStream, replicas int) (opened, error) {
	kv, err := natsrv.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      m.cfg.Bucket,
		Description: "bridge management state: sites, endpoints, sealed credentials",
		History:     5,
		Replicas:    replicas,
		Storage:     jetstream.FileStorage,
	}, m.log)
	if err != nil {
		return opened{}, fmt.Errorf("controlplane: open bucket %s: %w", m.cfg.Bucket, err)
	}
	st := newStore(kv, m.box, m.log, m.apply)
	wctx, cancel := context.WithCancel(context.Background())
	w, err := st.load(ctx, wctx)
	if err != nil {
		cancel()
		return opened{}, fmt.Errorf("controlplane: load bucket %s: %w", m.cfg.Bucket, err)
	}
	return opened{st: st, w: w, ctx: wctx, cancel: cancel}, nil
}

// Seed upserts sites and endpoints declared in the config file (see the
// package comment). Before Start it is queued and applied by Start, before
// the registry and engine first see the state; after Start it applies at
// once. It validates everything and reports every problem.
func (m *Manager) Seed(ctx context.Context, sites []site.Site, endpoints []Endpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkSeed(ctx, sites, endpoints); err != nil {
		return err
	}
	if m.st == nil {
		m.seeds = append(m.seeds, seedRequest{sites, endpoints})
		return nil
	}
	return m.seed(ctx, sites, endpoints)
}

// Shutdown stops watching the bucket and drains queued operational
// webhooks until ctx ends. Safe without Start and twice.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	cancel, started := m.cancel, m.started
	m.mu.Unlock()
	if !started {
		return nil
	}
	var err error
	m.stopOnce.Do(func() {
		// The lifecycle decides on what is queued (its notices still go
		// out), then the watch stops, then the notifier drains.
		close(m.lifecycleStop)
		select {
		case <-m.lifecycleDone:
		case <-ctx.Done():
			err = ctx.Err()
		}
		cancel()
		select {
		case <-m.watchErr:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if e := m.ops.shutdown(ctx); e != nil && err == nil {
			err = e
		}
		m.logs.Flush(ctx)
	})
	return err
}

// apply hands a snapshot to the site registry and the engine.
func (m *Manager) apply(sites []siteRecord, endpoints []Endpoint) {
	if m.set.Sites != nil {
		plain := make([]site.Site, len(sites))
		for i, s := range sites {
			plain[i] = s.Site
		}
		m.set.Sites.Set(plain)
	}
	if m.set.Engine != nil {
		now := m.now()
		for i := range endpoints {
			endpoints[i].PreviousSecrets = endpoint.Unexpired(endpoints[i].PreviousSecrets, now)
		}
		m.set.Engine.Apply(endpoints)
	}
}

// store returns the state store, nil before Start.
func (m *Manager) store() *store {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st
}
