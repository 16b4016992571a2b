package suppress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/bgwork"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/promreg"
)

// ErrNotRunning is returned by Add outside Start..Shutdown.
var ErrNotRunning = errors.New("suppress: not running")

// Settings are the code-supplied parts of a List.
type Settings struct {
	NATS       natsrv.JetStreamer    // required; read at Start
	Bucket     string                // required
	MaxBytes   int64                 // bounds the bucket; 0: 64 MiB
	Logger     *slog.Logger          // nil: slog.Default()
	Registerer prometheus.Registerer // nil: metrics are not registered
}

// List is the suppression list of every site, mirrored in memory. Safe
// for concurrent use; a nil *List suppresses nothing.
type List struct {
	set     Settings
	log     *slog.Logger
	entries prometheus.Gauge

	mu     sync.RWMutex
	sites  map[string]map[string]struct{} // site id → key digests
	kv     jetstream.KeyValue
	cancel context.CancelFunc
	done   chan struct{}
}

// New checks the settings; nothing is opened before Start.
func New(set Settings) (*List, error) {
	if set.NATS == nil || set.Bucket == "" {
		return nil, errors.New("suppress: settings NATS and Bucket are required")
	}
	if set.MaxBytes == 0 {
		set.MaxBytes = 64 << 20
	}
	if set.Logger == nil {
		set.Logger = slog.Default()
	}
	l := &List{set: set, log: set.Logger.With("component", "suppression_list"), sites: map[string]map[string]struct{}{},
		entries: prometheus.NewGauge(prometheus.GaugeOpts{Name: "bridge_suppression_list_entries",
			Help: "Identifiers of erased people on the suppression list, as this node knows them."})}
	if err := promreg.Register(set.Registerer, l.entries); err != nil {
		return nil, fmt.Errorf("suppress: %w", err)
	}
	return l, nil
}

// Start opens the bucket and loads the list: when it returns, every entry
// present at Start is in memory, and later ones arrive through the watch.
// While a NATS cluster is still electing leaders, Start retries.
func (l *List) Start(ctx context.Context) error {
	var (
		kv     jetstream.KeyValue
		w      jetstream.KeyWatcher
		wctx   context.Context
		cancel context.CancelFunc
	)
	err := natsrv.StartRetrying(ctx, l.log, "suppression_list", func(ctx context.Context) (err error) {
		kv, w, wctx, cancel, err = l.open(ctx)
		return err
	})
	if err != nil {
		return err
	}
	l.mu.Lock()
	if l.kv != nil {
		l.mu.Unlock()
		cancel()
		_ = w.Stop()
		return nil
	}
	l.kv, l.cancel, l.done = kv, cancel, make(chan struct{})
	done := l.done
	l.mu.Unlock()
	go l.follow(wctx, w, done)
	return nil
}

// open opens the bucket, watches it (until the returned cancel) and loads
// the initial values; on failure it leaves nothing running.
func (l *List) open(ctx context.Context) (jetstream.KeyValue, jetstream.KeyWatcher, context.Context, context.CancelFunc, error) {
	kv, err := natsrv.EnsureKeyValue(ctx, l.set.NATS.JetStream(), jetstream.KeyValueConfig{
		Bucket: l.set.Bucket, Description: "bridge: identifiers of erased people, hashed (suppression list)",
		History: 1, MaxBytes: l.set.MaxBytes, Storage: jetstream.FileStorage, Replicas: l.set.NATS.Replicas(),
	}, l.log)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("suppress: bucket %s: %w", l.set.Bucket, err)
	}
	wctx, cancel := context.WithCancel(context.Background())
	w, err := kv.WatchAll(wctx)
	if err != nil {
		cancel()
		return nil, nil, nil, nil, fmt.Errorf("suppress: watch %s: %w", l.set.Bucket, err)
	}
	if err := l.load(ctx, w); err != nil {
		cancel()
		_ = w.Stop()
		return nil, nil, nil, nil, err
	}
	return kv, w, wctx, cancel, nil
}

// load applies the watch's initial values (up to its nil marker).
func (l *List) load(ctx context.Context, w jetstream.KeyWatcher) error {
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("suppress: load %s: %w", l.set.Bucket, ctx.Err())
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("suppress: load %s: watch closed", l.set.Bucket)
			}
			if e == nil {
				return nil
			}
			l.apply(e)
		}
	}
}

// follow applies updates until ctx ends.
func (l *List) follow(ctx context.Context, w jetstream.KeyWatcher, done chan struct{}) {
	defer close(done)
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				l.log.Error("suppression list watch closed; later erasures reach this node at its next start")
				return
			}
			if e != nil {
				l.apply(e)
			}
		}
	}
}

func (l *List) apply(e jetstream.KeyValueEntry) {
	siteID, ok := siteOf(e.Key())
	if !ok {
		return
	}
	d := e.Key()[len(sitePrefix(siteID)):]
	if e.Operation() == jetstream.KeyValuePut {
		l.put(siteID, d)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if m := l.sites[siteID]; m != nil {
		if _, had := m[d]; had {
			delete(m, d)
			l.entries.Dec()
		}
		if len(m) == 0 {
			delete(l.sites, siteID)
		}
	}
}

func (l *List) put(siteID, d string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.sites[siteID]
	if m == nil {
		m = map[string]struct{}{}
		l.sites[siteID] = m
	}
	if _, had := m[d]; !had {
		m[d] = struct{}{}
		l.entries.Inc()
	}
}

// Shutdown stops the watch. Safe without Start and twice.
func (l *List) Shutdown(ctx context.Context) error {
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	l.kv, l.cancel, l.done = nil, nil, nil
	l.mu.Unlock()
	return bgwork.Stop(ctx, "suppress shutdown", cancel, done)
}

// Add puts an identifier of kind, already normalised (Normalise), on the
// site's list: in the bucket, and in this node's memory at once.
func (l *List) Add(ctx context.Context, siteID, kind, norm string) error {
	if norm == "" {
		return nil
	}
	l.mu.RLock()
	kv := l.kv
	l.mu.RUnlock()
	if kv == nil {
		return ErrNotRunning
	}
	if _, err := kv.Put(ctx, Key(siteID, kind, norm), []byte(kind)); err != nil {
		return fmt.Errorf("suppress: %w", err)
	}
	l.put(siteID, digest(siteID, kind, norm))
	return nil
}

// Suppressed reports whether ev carries an identifier on its site's list
// (uid, aid, or an e-mail or phone of its payload; phones without a
// country code read in region). No I/O; see the package doc for its cost.
func (l *List) Suppressed(ev *event.Event, region string) bool {
	if l == nil {
		return false
	}
	l.mu.RLock()
	n := len(l.sites[ev.SiteID])
	l.mu.RUnlock()
	if n == 0 {
		return false
	}
	ds := digests(ev, region)
	l.mu.RLock()
	defer l.mu.RUnlock()
	m := l.sites[ev.SiteID]
	for _, d := range ds {
		if _, ok := m[d]; ok {
			return true
		}
	}
	return false
}
