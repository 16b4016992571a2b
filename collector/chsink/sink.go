package chsink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/collector/site"
	"github.com/popinbridge/bridge/internal/chdb"
)

// Settings are the code-supplied parts of the sink.
type Settings struct {
	Logger     *slog.Logger          // nil: slog.Default()
	Registerer prometheus.Registerer // nil: metrics are not registered
	DB         *chdb.DB              // required; migrated
	Reader     eventlog.Reader       // required; the sink's own named cursor
	Sites      site.Registry         // required; unknown sites get the hash policy
}

// Sink moves events from the log into ClickHouse. Start it once; Shutdown
// is safe without Start and twice.
type Sink struct {
	cfg Config
	set Settings
	log *slog.Logger
	m   *metrics

	mu       sync.Mutex
	started  bool
	stopping chan struct{} // closed by Shutdown: stop fetching, flush
	abort    context.CancelFunc
	done     chan struct{}

	// Owned by the run goroutine.
	buf     rows
	segs    []eventlog.Segment
	firstAt time.Time
	lastLag time.Time
}

// New checks cfg and settings; it does not touch the log or ClickHouse.
func New(cfg Config, set Settings) (*Sink, error) {
	var errs []error
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if set.DB == nil {
		errs = append(errs, errors.New("chsink: Settings.DB is required"))
	}
	if set.Reader == nil {
		errs = append(errs, errors.New("chsink: Settings.Reader is required"))
	}
	if set.Sites == nil {
		errs = append(errs, errors.New("chsink: Settings.Sites is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	log := set.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Sink{
		cfg: cfg, set: set, log: log.With("component", "chsink"), m: newMetrics(set.Registerer),
		stopping: make(chan struct{}), done: make(chan struct{}),
	}, nil
}

// Start launches the sink's loop and returns at once. ctx only bounds
// Start itself; the loop runs until Shutdown.
func (s *Sink) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("chsink: already started")
	}
	select {
	case <-s.stopping:
		return errors.New("chsink: shut down")
	default:
	}
	s.started = true
	runCtx, abort := context.WithCancel(context.Background())
	s.abort = abort
	go s.run(runCtx)
	return nil
}

// Shutdown stops fetching, inserts what is buffered and acks it, and
// returns once done. If ctx ends first, the insert is abandoned and the
// buffered segments are left un-acked (Nak) so the log redelivers them.
func (s *Sink) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	select {
	case <-s.stopping:
	default:
		close(s.stopping)
	}
	started := s.started
	s.mu.Unlock()
	if !started {
		return nil
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		s.abort()
		<-s.done
		return fmt.Errorf("chsink: shutdown: buffered events left to the log: %w", ctx.Err())
	}
}

func (s *Sink) run(ctx context.Context) {
	defer close(s.done)
	defer s.abort()
	// fetchCtx ends when Shutdown starts, interrupting a waiting Fetch.
	fetchCtx, cancelFetch := context.WithCancel(ctx)
	go func() {
		select {
		case <-s.stopping:
		case <-ctx.Done():
		}
		cancelFetch()
	}()
	fetchBackoff := s.cfg.RetryInitialBackoff
	for {
		if s.stopped() {
			s.flush(ctx)
			return
		}
		wait := s.cfg.FlushInterval
		if len(s.segs) > 0 {
			wait = max(0, time.Until(s.firstAt.Add(s.cfg.FlushInterval)))
		}
		segs, err := s.set.Reader.Fetch(fetchCtx, s.cfg.FetchSegments, wait)
		if err != nil && !s.stopped() {
			s.m.fetchErrors.Inc()
			s.log.Warn("event log fetch failed", "err", err, "retry_in", fetchBackoff)
			if !s.sleep(ctx, fetchBackoff) {
				s.flush(ctx)
				return
			}
			fetchBackoff = min(2*fetchBackoff, s.cfg.RetryMaxBackoff)
			continue
		}
		fetchBackoff = s.cfg.RetryInitialBackoff
		for _, seg := range segs {
			s.add(seg)
		}
		if s.buf.len() >= s.cfg.BatchSize || (len(s.segs) > 0 && !time.Now().Before(s.firstAt.Add(s.cfg.FlushInterval))) {
			s.flush(ctx)
		}
		s.updateLag(false)
	}
}

func (s *Sink) add(seg eventlog.Segment) {
	if len(s.segs) == 0 {
		s.firstAt = time.Now()
	}
	s.segs = append(s.segs, seg)
	evs := seg.Events()
	for i := range evs {
		if !s.buf.add(&evs[i], s.set.Sites) {
			s.m.badData.Inc()
			s.log.Warn("event data is not valid JSON; stored as {}", "event_id", evs[i].ID, "site", evs[i].SiteID)
		}
	}
}

// flush inserts the buffer, retrying with backoff until it succeeds or ctx
// ends (Shutdown's deadline). Only after success are the segments acked;
// otherwise they are Nak'ed for prompt redelivery.
func (s *Sink) flush(ctx context.Context) {
	if len(s.segs) == 0 {
		return
	}
	backoff := s.cfg.RetryInitialBackoff
	for attempt := 1; ; attempt++ {
		err := s.insertOnce(ctx)
		if err == nil {
			break
		}
		s.m.errors.Inc()
		s.m.retrying.Set(1)
		if ctx.Err() != nil {
			s.m.retrying.Set(0)
			s.release()
			return
		}
		lvl := slog.LevelWarn
		if !chdb.Retryable(err) {
			lvl = slog.LevelError // schema or config problem: needs a human, keep retrying
		}
		s.log.Log(ctx, lvl, "clickhouse insert failed; events stay in the log", "err", err,
			"rows", s.buf.len(), "segments", len(s.segs), "attempt", attempt, "retry_in", backoff)
		if !s.sleep(ctx, backoff) {
			s.m.retrying.Set(0)
			s.release()
			return
		}
		backoff = min(2*backoff, s.cfg.RetryMaxBackoff)
	}
	s.m.retrying.Set(0)
	for _, seg := range s.segs {
		if err := seg.Ack(); err != nil {
			s.m.ackErrors.Inc()
			s.log.Warn("ack failed; the segment will be redelivered and its rows collapse", "seq", seg.Seq(), "err", err)
		}
	}
	s.segs = s.segs[:0]
	s.buf.reset()
	s.updateLag(true)
}

func (s *Sink) insertOnce(ctx context.Context) error {
	ictx, cancel := context.WithTimeout(ctx, s.cfg.InsertTimeout)
	defer cancel()
	start := time.Now()
	n := s.buf.len()
	if err := s.buf.insert(ictx, s.set.DB); err != nil {
		return err
	}
	s.m.insertTime.Observe(time.Since(start).Seconds())
	s.m.batchRows.Observe(float64(n))
	s.m.rows.Add(float64(n))
	return nil
}

// release gives the buffered segments back to the log un-acked.
func (s *Sink) release() {
	for _, seg := range s.segs {
		if err := seg.Nak(0); err != nil {
			s.log.Debug("nak failed; the log redelivers after its ack wait", "seq", seg.Seq(), "err", err)
		}
	}
	s.log.Info("sink stopped with un-inserted events; left to the log", "segments", len(s.segs), "rows", s.buf.len())
	s.segs = s.segs[:0]
	s.buf.reset()
}

// updateLag refreshes the lag gauge, at most once a second unless forced.
func (s *Sink) updateLag(force bool) {
	if !force && time.Since(s.lastLag) < time.Second {
		return
	}
	s.lastLag = time.Now()
	if n, err := s.set.Reader.Pending(); err == nil {
		s.m.lag.Set(float64(n))
	}
}

func (s *Sink) stopped() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}

// sleep waits d; false if ctx ended first.
func (s *Sink) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
