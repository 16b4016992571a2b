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
	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/consent"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/site"
)

// Settings are the code-supplied parts of the sink.
type Settings struct {
	Logger     *slog.Logger          // nil: slog.Default()
	Registerer prometheus.Registerer // nil: metrics are not registered
	DB         *chdb.DB              // required; migrated
	Reader     eventlog.Reader       // required; the sink's own named cursor
	Sites      site.Registry         // required; unknown sites get the hash policy
	// SealPII encrypts personal values of sites with `pii: encrypt`
	// (internal/piicrypt's Box.Seal). Nil: such sites are stored as hash.
	SealPII func(plaintext string) string
	// Suppression is the list of erased people (*suppress.List): their
	// events are stored as an analytics denial stored anonymously, whatever
	// the site's analytics_denied. Nil: none.
	Suppression interface {
		Suppressed(ev *event.Event, region string) bool
	}
}

// Sink moves events from the log into ClickHouse. Start it once; Shutdown
// is safe without Start and twice.
//
// Goroutines: one reader fetches segments and converts them into a batch;
// Config.InsertConcurrency inserters each insert a full batch and ack its
// segments. At most InsertConcurrency+1 batches are in memory (one being
// filled, the others being inserted), so conversion, client-side encoding
// and the server's work overlap while memory stays bounded. A batch goes to
// an inserter when full, or when due (FlushInterval) and an inserter is
// idle; until then it keeps filling, so under load inserts grow instead of
// multiplying. While inserts are being retried the reader stops fetching
// once its next batch is full.
// Segments may be acked out of order (each is independent in the log).
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

	queue chan *batch // reader → inserter; unbuffered
	free  chan *batch // recycled batches
}

// batch is a set of segments converted to rows, inserted and acked together.
type batch struct {
	rows    rows
	segs    []eventlog.Segment
	firstAt time.Time
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
	m, err := newMetrics(set.Registerer)
	if err != nil {
		return nil, err
	}
	return &Sink{
		cfg: cfg, set: set, log: log.With("component", "chsink"), m: m,
		stopping: make(chan struct{}), done: make(chan struct{}),
		queue: make(chan *batch), free: make(chan *batch, cfg.InsertConcurrency+1),
	}, nil
}

// Start launches the sink and returns at once. ctx only bounds Start
// itself; the sink runs until Shutdown.
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
	var inserters sync.WaitGroup
	for range s.cfg.InsertConcurrency {
		inserters.Go(func() { s.insertLoop(runCtx) })
	}
	go func() {
		s.readLoop(runCtx)
		close(s.queue)
		inserters.Wait()
		abort()
		close(s.done)
	}()
	return nil
}

// Shutdown stops fetching, inserts what is buffered and acks it, and
// returns once done. If ctx ends first, inserting is abandoned and the
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

// readLoop fetches and converts until Shutdown, handing full or due
// batches to the inserter.
func (s *Sink) readLoop(ctx context.Context) {
	fetchCtx, cancelFetch := context.WithCancel(ctx)
	defer cancelFetch()
	go func() {
		select {
		case <-s.stopping:
		case <-ctx.Done():
		}
		cancelFetch()
	}()
	cur := s.newBatch(shape{})
	lastLag := time.Time{}
	fetchBackoff := s.backoff()
	// While a due batch waits for a free inserter, the reader keeps filling
	// it and looks for a free inserter this often when the log is idle.
	poll := min(max(s.cfg.FlushInterval/10, time.Millisecond), 50*time.Millisecond)
	// drained: the last fetch got less than it asked for, so the log had no
	// more. Then, with a batch under way, the reader waits until it is due
	// and fetches what came meanwhile at once, instead of one fetch per
	// segment as they trickle in (which cost a pull, a delivery and a
	// wake-up per event at low traffic). Under load every fetch is full and
	// the reader never waits.
	drained := false
	for !s.stopped() && ctx.Err() == nil {
		wait := s.cfg.FlushInterval
		if len(cur.segs) > 0 {
			wait = time.Until(cur.firstAt.Add(s.cfg.FlushInterval))
			switch {
			case drained && wait > 0:
				retry.Sleep(fetchCtx, wait) // the log holds what arrives meanwhile
				wait = 0                    // then take what is there, at once
			case wait <= 0:
				wait = poll
			}
		}
		segs, err := s.set.Reader.Fetch(fetchCtx, s.cfg.FetchSegments, wait)
		drained = len(segs) < s.cfg.FetchSegments
		if err != nil && fetchCtx.Err() == nil {
			s.m.fetchErrors.Inc()
			wait := fetchBackoff.Next()
			s.log.Warn("event log fetch failed", "err", err, "retry_in", wait)
			retry.Sleep(fetchCtx, wait)
		} else if err == nil {
			fetchBackoff.Reset()
		}
		for _, seg := range segs {
			s.add(cur, seg)
		}
		switch sh := cur.rows.shape(); {
		case s.full(cur):
			if !s.hand(ctx, cur) {
				return
			}
			cur = s.newBatch(sh)
		case len(cur.segs) > 0 && s.handDue(cur, drained, poll):
			if s.tryHand(cur) {
				cur = s.newBatch(sh)
			}
		}
		if time.Since(lastLag) >= time.Second {
			lastLag = time.Now()
			s.updateLag()
		}
	}
	if len(cur.segs) > 0 {
		s.hand(ctx, cur)
	}
}

// handDue reports whether b, not full, goes to an inserter now: once it is
// due, and the last fetch drained the log (what came while the reader waited
// goes in too) or it has been due for poll already (a log that never drains
// does not hold it back).
func (s *Sink) handDue(b *batch, drained bool, poll time.Duration) bool {
	due := b.firstAt.Add(s.cfg.FlushInterval)
	now := time.Now()
	return !now.Before(due) && (drained || !now.Before(due.Add(poll)))
}

// full reports whether b reached a batch limit.
func (s *Sink) full(b *batch) bool {
	return b.rows.len() >= s.cfg.BatchSize || b.rows.size() >= s.cfg.BatchBytes
}

// tryHand passes b to an idle inserter, if there is one.
func (s *Sink) tryHand(b *batch) bool {
	select {
	case s.queue <- b:
		return true
	default:
		return false
	}
}

// hand passes b to the inserter; false (and b released) if ctx ended first.
func (s *Sink) hand(ctx context.Context, b *batch) bool {
	select {
	case s.queue <- b:
		return true
	case <-ctx.Done():
		s.release(b)
		return false
	}
}

// newBatch returns a recycled batch, or a new one with room for a batch
// of shape like (the last one filled).
func (s *Sink) newBatch(like shape) *batch {
	select {
	case b := <-s.free:
		return b
	default:
		b := &batch{}
		b.rows.reserve(like)
		return b
	}
}

func (s *Sink) add(b *batch, seg eventlog.Segment) {
	if len(b.segs) == 0 {
		b.firstAt = time.Now()
	}
	b.segs = append(b.segs, seg)
	evs := seg.Events()
	// A segment's events mostly share one site: look it up once per run.
	siteID, policy, names, region, denied := "", site.PIIHash, "", "", site.AnalyticsDeniedAnonymous
	for i := range evs {
		e := &evs[i]
		if i == 0 || e.SiteID != siteID {
			siteID, policy, names, region, denied = e.SiteID, site.PIIHash, "", "", site.AnalyticsDeniedAnonymous
			if st, ok := s.set.Sites.ByID(siteID); ok {
				policy, names, region = st.PII, st.PIINames, st.DefaultPhoneRegion
				if st.AnalyticsDenied == site.AnalyticsDeniedDrop {
					denied = site.AnalyticsDeniedDrop
				}
			}
		}
		if s.set.Suppression != nil && s.set.Suppression.Suppressed(e, region) {
			s.m.erased.Inc()
			if !b.rows.addAs(e, policy, names, region, s.set.SealPII, true) {
				s.m.badData.Inc()
			}
			continue
		}
		anon := consent.Of(e.Context.Consent, consent.Analytics) == consent.Denied
		if anon {
			s.m.analyticsDenied.WithLabelValues(denied).Inc()
			if denied == site.AnalyticsDeniedDrop {
				continue
			}
		}
		if !b.rows.addAs(e, policy, names, region, s.set.SealPII, anon) {
			s.m.badData.Inc()
			s.log.Warn("event data is not valid JSON; stored as {}", "event_id", e.ID, "site", e.SiteID)
		}
	}
}

// updateLag refreshes the lag gauge from the reader.
func (s *Sink) updateLag() {
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
