package eventlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/collector/eventlog/internal/dedup"
	"github.com/popinbridge/bridge/collector/eventlog/internal/segcodec"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/natsrv"
)

// NATS hands out the process's JetStream context (internal/natsrv's
// *Server). It is started, and later shut down, by its owner: the Log only
// uses it between its own Start and Shutdown.
type NATS interface {
	// JetStream is nil while NATS is not started.
	JetStream() jetstream.JetStream
	// Embedded reports whether the server runs inside this process without
	// a listener, so no other process can hold the log's cursors (then a
	// reader left with unacked segments by a crash is rewound at Start).
	Embedded() bool
	// Replicas is how many copies of the log's streams to keep.
	Replicas() int
}

// Settings are the code-supplied dependencies of a Log.
type Settings struct {
	NATS       NATS                  // required; started before the Log's Start
	Logger     *slog.Logger          // nil: slog.Default()
	Registerer prometheus.Registerer // nil: metrics are not registered
	_          struct{}
}

type lifecycle int

const (
	stateNew lifecycle = iota
	stateStarted
	stateClosed
)

// Log is the durable event log on NATS JetStream. It implements Appender;
// Reader hands out named durable cursors. Create it with New, then Start.
type Log struct {
	cfg    Config
	logger *slog.Logger
	m      *metrics
	skew   atomic.Int64 // nanoseconds added to the clock; tests move time forward

	mu       sync.Mutex
	state    lifecycle
	readers  map[string]*reader
	nats     NATS
	nc       *nats.Conn
	js       jetstream.JetStream
	pub      jetstream.JetStream // the committer's async publisher on the same connection
	stream   jetstream.Stream
	cancelBG context.CancelFunc
	bg       sync.WaitGroup
	keys     *keyStore  // set by Start
	quota    *siteQuota // set by Start

	c         atomic.Pointer[committer]
	purgeKick chan struct{}
}

var _ Appender = (*Log)(nil)

// New checks cfg and returns a Log that is not started yet.
func New(cfg Config, set Settings) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if set.NATS == nil {
		return nil, errors.New("eventlog: Settings.NATS is required")
	}
	logger := set.Logger
	if logger == nil {
		logger = slog.Default()
	}
	m, err := newMetrics(set.Registerer)
	if err != nil {
		return nil, err
	}
	m.maxBytes.Set(float64(cfg.MaxBytes))
	return &Log{
		cfg:       cfg,
		logger:    logger.With("component", "eventlog"),
		m:         m,
		readers:   make(map[string]*reader),
		nats:      set.NATS,
		purgeKick: make(chan struct{}, 1),
	}, nil
}

// Start takes the JetStream context of Settings.NATS (which must be started
// already, else ErrUnavailable), creates or updates the streams, rebuilds
// the dedup index (rebuild.go) and the sites' byte counts (sitequota.go),
// binds the registered readers and starts the committer, the dedup key
// writer, the follower of other nodes' keys (peerkeys.go) and retention. Appends before
// Start fail with ErrUnavailable. While a NATS cluster is still electing
// leaders, Start retries (natsrv.StartRetrying).
func (l *Log) Start(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch l.state {
	case stateStarted:
		return errors.New("eventlog: already started")
	case stateClosed:
		return ErrClosed
	}
	err := natsrv.StartRetrying(ctx, l.logger, "event_log", func(ctx context.Context) error {
		err := l.start(ctx)
		if err != nil {
			l.releasePublisher()
			l.nc, l.js, l.pub, l.stream = nil, nil, nil, nil
		}
		return err
	})
	if err != nil {
		return err
	}
	l.state = stateStarted
	return nil
}

func (l *Log) start(ctx context.Context) error {
	if l.js = l.nats.JetStream(); l.js == nil {
		return fmt.Errorf("eventlog: %w: nats not started", ErrUnavailable)
	}
	l.nc = l.js.Conn()
	var err error
	l.pub, err = jetstream.New(l.nc, jetstream.WithPublishAsyncTimeout(10*time.Second),
		jetstream.WithPublishAsyncMaxPending(4*l.cfg.MaxInFlightCommits))
	if err != nil {
		return fmt.Errorf("eventlog: jetstream: %w", err)
	}
	if l.stream, err = natsrv.EnsureStream(ctx, l.js, l.streamConfig(), l.logger); err != nil {
		return fmt.Errorf("eventlog: create stream %s: %w", l.cfg.StreamName, err)
	}
	ks, err := openKeyStore(ctx, l.cfg, l.nats.Replicas(), l.js, l.m, l.logger)
	if err != nil {
		return err
	}
	keysInfo, err := ks.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("eventlog: stream %s: %w", ks.name, err)
	}
	index := dedup.New(l.cfg.DedupWindow, l.cfg.DedupMaxEntries)
	last, err := l.rebuild(ctx, index, ks)
	if err != nil {
		return err
	}
	ks.setMark(last)
	quota := newSiteQuota(l.cfg)
	if err := l.restoreQuota(ctx, quota); err != nil {
		return err
	}
	l.keys, l.quota = ks, quota
	for _, r := range l.readers {
		if err := r.bind(ctx); err != nil {
			return err
		}
	}
	c := newCommitter(l.cfg, l.pub, index, ks, quota, l.m, l.logger, l.now, l.kickPurge)
	l.c.Store(c)
	bgCtx, cancel := context.WithCancel(context.Background())
	l.cancelBG = cancel
	l.bg.Add(3)
	go func() {
		defer l.bg.Done()
		l.followKeys(bgCtx, ks, c, keysInfo.State.LastSeq+1)
	}()
	go func() {
		defer l.bg.Done()
		l.retain(bgCtx)
	}()
	go func() {
		defer l.bg.Done()
		ks.run(bgCtx)
	}()
	return nil
}

func (l *Log) streamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        l.cfg.StreamName,
		Description: "bridge durable event log: one message per committed segment",
		Subjects:    []string{l.cfg.Subject},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardNew,
		MaxBytes:    l.cfg.MaxBytes,
		MaxAge:      l.cfg.MaxAge,
		MaxMsgSize:  int32(l.cfg.MaxCommitBytes + 64<<10),
		Storage:     jetstream.FileStorage,
		Replicas:    l.nats.Replicas(),
		Duplicates:  2 * time.Minute, // for resending a segment whose ack was lost
	}
}

// now is the clock of the dedup window and retention.
func (l *Log) now() time.Time { return time.Now().Add(time.Duration(l.skew.Load())) }

// Append implements Appender. Events whose site and ID were committed within
// the dedup window (or are being committed) are not written again; Append
// still returns nil for them once their first copy is durable.
func (l *Log) Append(ctx context.Context, events []event.Event) error {
	c := l.c.Load()
	if c == nil {
		l.mu.Lock()
		closed := l.state == stateClosed
		l.mu.Unlock()
		if closed {
			return ErrClosed
		}
		return fmt.Errorf("eventlog: append: %w: not started", ErrUnavailable)
	}
	if len(events) == 0 {
		return nil
	}
	evs := make([]pendingEvent, len(events))
	bySite := make(map[string]int64, 1)
	for i := range events {
		rec, err := segcodec.EncodeRecord(&events[i])
		if err != nil {
			return fmt.Errorf("eventlog: append: %w", err)
		}
		if len(rec) > l.cfg.MaxCommitBytes {
			return fmt.Errorf("eventlog: append: event %q encodes to %d bytes, over max_commit_bytes %d: %w",
				events[i].ID, len(rec), l.cfg.MaxCommitBytes, ErrTooLarge)
		}
		evs[i] = pendingEvent{key: dedup.KeyOf(events[i].SiteID, events[i].ID), site: events[i].SiteID, rec: rec}
		bySite[events[i].SiteID] += int64(len(rec))
	}
	if err := c.quota.check(bySite); err != nil {
		l.m.siteRefusals.Inc()
		return err
	}
	return c.submit(ctx, evs)
}

// Ready reports whether the log can take appends now (for /readyz): it is
// started, NATS is connected, the stream answers, and the log is not full
// (the last segment refused as full would still not fit). A site at its
// share does not make the log unready.
func (l *Log) Ready(ctx context.Context) error {
	l.mu.Lock()
	state, nc, js := l.state, l.nc, l.js
	l.mu.Unlock()
	c := l.c.Load()
	switch state {
	case stateNew:
		return fmt.Errorf("eventlog: %w: not started", ErrUnavailable)
	case stateClosed:
		return ErrClosed
	}
	if !nc.IsConnected() {
		return fmt.Errorf("eventlog: %w: nats %s", ErrUnavailable, nc.Status())
	}
	s, err := js.Stream(ctx, l.cfg.StreamName)
	if err != nil {
		return fmt.Errorf("eventlog: %w: stream %s: %v", ErrUnavailable, l.cfg.StreamName, err)
	}
	if refused := c.refusedSize.Load(); refused > 0 {
		info, err := s.Info(ctx)
		if err != nil {
			return fmt.Errorf("eventlog: %w: stream %s: %v", ErrUnavailable, l.cfg.StreamName, err)
		}
		if int64(info.State.Bytes)+refused > l.cfg.MaxBytes {
			return fmt.Errorf("eventlog: %w: %d of max_bytes %d used", ErrFull, info.State.Bytes, l.cfg.MaxBytes)
		}
	}
	return nil
}

// Shutdown stops accepting appends, waits for the segments being committed
// (until ctx ends: then their callers get ErrClosed) and stops retention. It
// leaves NATS to its owner. Safe without Start and twice.
func (l *Log) Shutdown(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != stateStarted {
		l.state = stateClosed
		return nil
	}
	l.state = stateClosed
	var err error
	if c := l.c.Load(); c != nil {
		c.close()
		select {
		case <-c.done:
		case <-ctx.Done():
			c.abort()
			err = fmt.Errorf("eventlog: shutdown: commits still in flight: %w", ctx.Err())
		}
	}
	l.cancelBG()
	l.bg.Wait()
	l.releasePublisher()
	return err
}

// releasePublisher drops the async publisher's reply subscription from the
// shared connection, failing any publish still awaiting its ack.
func (l *Log) releasePublisher() {
	if l.pub != nil {
		l.pub.CleanupPublisher()
	}
}
