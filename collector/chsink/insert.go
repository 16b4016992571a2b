package chsink

import (
	"context"
	"log/slog"
	"time"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/retry"
)

// insertLoop inserts batches until the queue is closed.
func (s *Sink) insertLoop(ctx context.Context) {
	for b := range s.queue {
		if ctx.Err() != nil || !s.insert(ctx, b) {
			s.release(b)
			continue
		}
		// One confirmation for the batch, not one round trip per segment.
		if n, err := eventlog.AckAll(b.segs); err != nil {
			s.m.ackErrors.Add(float64(n))
			s.log.Warn("ack failed; the segments will be redelivered and their rows collapse", "segments", n, "err", err)
		}
		s.recycle(b)
		s.updateLag()
	}
}

// insert inserts b, retrying with bounded backoff until it succeeds (true)
// or ctx ends (false).
func (s *Sink) insert(ctx context.Context, b *batch) bool {
	backoff := s.backoff()
	defer s.m.retrying.Set(0)
	for attempt := 1; ; attempt++ {
		err := s.insertOnce(ctx, b)
		if err == nil {
			return true
		}
		s.m.errors.Inc()
		s.m.retrying.Set(1)
		if ctx.Err() != nil {
			return false
		}
		lvl := slog.LevelWarn
		if !chdb.Retryable(err) {
			lvl = slog.LevelError // schema or config problem: needs a human; keep retrying
		}
		wait := backoff.Next()
		s.log.Log(ctx, lvl, "clickhouse insert failed; events stay in the log", "err", err,
			"rows", b.rows.len(), "segments", len(b.segs), "attempt", attempt, "retry_in", wait)
		if !retry.Sleep(ctx, wait) {
			return false
		}
	}
}

// backoff is the wait between retries of a failed insert or fetch.
func (s *Sink) backoff() *retry.Backoff {
	return &retry.Backoff{Min: s.cfg.RetryInitialBackoff, Max: s.cfg.RetryMaxBackoff}
}

func (s *Sink) insertOnce(ctx context.Context, b *batch) error {
	ictx, cancel := context.WithTimeout(ctx, s.cfg.InsertTimeout)
	defer cancel()
	start := time.Now()
	n := b.rows.len()
	if n == 0 { // every event of the batch was dropped (analytics denied)
		return nil
	}
	if err := b.rows.insert(ictx, s.set.DB); err != nil {
		return err
	}
	s.m.insertTime.Observe(time.Since(start).Seconds())
	s.m.batchRows.Observe(float64(n))
	s.m.rows.Add(float64(n))
	return nil
}

// release gives a batch's segments back to the log un-acked.
func (s *Sink) release(b *batch) {
	for _, seg := range b.segs {
		if err := seg.Nak(0); err != nil {
			s.log.Debug("nak failed; the log redelivers after its ack wait", "seq", seg.Seq(), "err", err)
		}
	}
	s.log.Info("sink stopped with un-inserted events; left to the log", "segments", len(b.segs), "rows", b.rows.len())
	s.recycle(b)
}

func (s *Sink) recycle(b *batch) {
	b.rows.reset()
	clear(b.segs)
	b.segs = b.segs[:0]
	select {
	case s.free <- b:
	default:
	}
}
