package consentstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/bgwork"
	"github.com/popinbridge/bridge/internal/consent"
	"github.com/popinbridge/bridge/internal/natsrv"
)

// ErrNotRunning is returned by Lookup and Forget outside Start..Shutdown.
var ErrNotRunning = errors.New("consentstore: not running")

// Settings are the code-supplied parts of a Store.
type Settings struct {
	NATS       natsrv.JetStreamer    // required; read at Start
	Logger     *slog.Logger          // nil: slog.Default()
	Registerer prometheus.Registerer // nil: metrics are not registered
	Now        func() time.Time      // nil: time.Now
}

// Store is the consent memory. Safe for concurrent use.
type Store struct {
	cfg    Config
	nats   natsrv.JetStreamer
	logger *slog.Logger
	now    func() time.Time
	m      *metrics
	queue  chan write

	mu     sync.Mutex
	kv     jetstream.KeyValue // nil outside Start..Shutdown
	cache  map[string]entry
	cancel context.CancelFunc
	done   chan struct{}
}

// entry is what this node knows of a key: the consent it last queued,
// wrote or read, and whether writes of it are still queued.
type entry struct {
	enc     string
	pending int
	seen    time.Time
}

type write struct{ key, enc string }

// New checks cfg and returns a Store; nothing is opened before Start.
func New(cfg Config, s Settings) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if s.NATS == nil {
		return nil, errors.New("consentstore: settings.NATS: required")
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	m, err := newMetrics(s.Registerer)
	if err != nil {
		return nil, fmt.Errorf("consentstore: %w", err)
	}
	return &Store{cfg: cfg, nats: s.NATS, logger: s.Logger.With("component", "consent_store"), now: s.Now, m: m,
		queue: make(chan write, cfg.Queue), cache: make(map[string]entry)}, nil
}

// Start creates or updates the bucket and starts the writer.
func (s *Store) Start(ctx context.Context) error {
	replicas := s.cfg.Replicas
	if replicas == 0 {
		replicas = s.nats.Replicas()
	}
	var kv jetstream.KeyValue
	err := natsrv.StartRetrying(ctx, s.logger, "consent_store", func(ctx context.Context) (err error) {
		kv, err = natsrv.EnsureKeyValue(ctx, s.nats.JetStream(), jetstream.KeyValueConfig{
			Bucket:       s.cfg.Bucket,
			Description:  "bridge: the last consent seen per (site, uid), inherited by server webhooks",
			History:      1,
			TTL:          s.cfg.TTL,
			MaxBytes:     s.cfg.MaxBytes,
			MaxValueSize: 256,
			Replicas:     replicas,
			Storage:      jetstream.FileStorage,
		}, s.logger)
		return err
	})
	if err != nil {
		return fmt.Errorf("consentstore: bucket %s: %w", s.cfg.Bucket, err)
	}
	wctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kv != nil {
		cancel()
		return nil
	}
	s.kv, s.cancel, s.done = kv, cancel, make(chan struct{})
	go s.run(wctx, kv, s.done)
	return nil
}

// Shutdown stops taking writes and lets the writer finish the queued ones
// until ctx ends. Safe without Start and twice.
func (s *Store) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.kv, s.cancel, s.done = nil, nil, nil
	s.mu.Unlock()
	return bgwork.Stop(ctx, "consentstore shutdown", cancel, done)
}

// Observe remembers the consent of a browser event of uid on a site. It
// never blocks and does no I/O (see the package doc).
func (s *Store) Observe(siteID, uid string, c map[string]bool) {
	if uid == "" {
		return
	}
	enc := encode(consent.Summary(c))
	if enc == "" {
		return
	}
	key, now := Key(siteID, uid), s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.cache[key]
	if ok && e.enc == enc && (e.pending > 0 || now.Sub(e.seen) < s.cfg.CacheTTL) {
		return
	}
	if s.kv == nil {
		s.m.dropped.WithLabelValues(dropClosed).Inc()
		return
	}
	if !ok && len(s.cache) >= s.cfg.CacheEntries && !s.evictOne() {
		s.m.dropped.WithLabelValues(dropQueueFull).Inc()
		return
	}
	select {
	case s.queue <- write{key: key, enc: enc}:
		s.cache[key] = entry{enc: enc, pending: e.pending + 1, seen: now}
	default:
		s.m.dropped.WithLabelValues(dropQueueFull).Inc()
	}
}

// evictOne removes one cache entry without queued writes (s.mu held).
func (s *Store) evictOne() bool {
	for k, e := range s.cache {
		if e.pending == 0 {
			delete(s.cache, k)
			return true
		}
	}
	return false
}

// Lookup returns the consent summary remembered for uid on a site: a write
// still queued on this node, else the bucket's. nil, nil when none is
// remembered (the site's default applies) or uid is empty.
func (s *Store) Lookup(ctx context.Context, siteID, uid string) (map[string]bool, error) {
	if uid == "" {
		return nil, nil
	}
	key := Key(siteID, uid)
	s.mu.Lock()
	e, ok := s.cache[key]
	kv := s.kv
	s.mu.Unlock()
	if ok && e.pending > 0 {
		s.m.lookups.WithLabelValues(lookupFound).Inc()
		return decode(e.enc), nil
	}
	if kv == nil {
		s.m.lookups.WithLabelValues(lookupError).Inc()
		return nil, ErrNotRunning
	}
	got, err := kv.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		s.m.lookups.WithLabelValues(lookupDefault).Inc()
		return nil, nil
	case err != nil:
		s.m.lookups.WithLabelValues(lookupError).Inc()
		return nil, fmt.Errorf("consentstore: %w", err)
	}
	c := decode(string(got.Value()))
	if c == nil {
		s.m.lookups.WithLabelValues(lookupDefault).Inc()
		return nil, nil
	}
	s.m.lookups.WithLabelValues(lookupFound).Inc()
	return c, nil
}

// Forget removes what is remembered for uid on a site, here and in the
// bucket, including writes still queued on this node (erasure).
func (s *Store) Forget(ctx context.Context, siteID, uid string) error {
	key := Key(siteID, uid)
	s.mu.Lock()
	delete(s.cache, key)
	kv := s.kv
	s.mu.Unlock()
	if kv == nil {
		return ErrNotRunning
	}
	if err := kv.Purge(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("consentstore: %w", err)
	}
	return nil
}
