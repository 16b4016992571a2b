package deliverylog

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// batchRows is the most rows one WriteDeliveries call gets; a buffer
// holding that many is flushed without waiting for the interval.
const batchRows = 5000

// writeTimeout bounds one WriteDeliveries call. A write cut short by it may
// still have been stored (then retried: see Writer), so it is generous, as
// the ClickHouse sink's insert_timeout is: a batch of 5000 rows with bodies
// takes seconds on a loaded server.
const writeTimeout = 30 * time.Second

// Buffer holds rows in memory (at most maxRows) and writes them in batches
// from its own goroutine, every interval or as soon as a batch is full. Add
// never blocks: rows beyond the bound, rows added after Shutdown began and
// rows still unwritten when Shutdown's context ends are dropped and counted
// in bridge_forwarder_delivery_log_dropped_total. A failed batch stays at
// the head of the buffer and is written again on the next flush, unchanged:
// the same rows in the same order, nothing added, so that the server can
// recognise a retry of an insert it did receive (see Writer).
type Buffer struct {
	w        Writer
	max      int
	interval time.Duration
	logger   *slog.Logger
	m        *metrics

	flushing chan struct{} // one flush at a time (the loop, or Shutdown after a timeout)
	kick     chan struct{}
	done     chan struct{} // closed by the first Shutdown
	stopped  chan struct{} // closed when the loop has ended (or never ran)

	mu      sync.Mutex
	buf     []Record
	retry   int  // > 0: the first retry rows are a batch whose write failed
	running bool // the loop was started
	closed  bool // Shutdown began
}

// New returns a Buffer writing to w, not yet started. A nil w makes a
// Buffer that keeps nothing. maxRows (≥ 1) bounds the rows held; interval
// (> 0) is how often they are written. The metrics are registered with reg
// (nil: not registered); a registration error is returned.
func New(w Writer, maxRows int, interval time.Duration, logger *slog.Logger, reg prometheus.Registerer) (*Buffer, error) {
	if w != nil && (maxRows < 1 || interval <= 0) {
		return nil, errors.New("delivery log: maxRows must be at least 1 and interval positive")
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Buffer{w: w, max: maxRows, interval: interval, logger: logger, m: m,
		flushing: make(chan struct{}, 1), kick: make(chan struct{}, 1),
		done: make(chan struct{}), stopped: make(chan struct{})}, nil
}

// Add queues a row; it never blocks.
func (b *Buffer) Add(r Record) {
	if b.w == nil {
		return
	}
	b.mu.Lock()
	if b.closed || len(b.buf) >= b.max {
		b.mu.Unlock()
		b.m.dropped.Inc()
		return
	}
	b.buf = append(b.buf, r)
	n := len(b.buf)
	b.mu.Unlock()
	b.m.buffered.Set(float64(n))
	if n >= batchRows {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
}

// Start starts the loop writing rows. Starting twice is a no-op; starting
// after Shutdown is an error.
func (b *Buffer) Start(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errors.New("delivery log: start after shutdown")
	}
	if b.running || b.w == nil {
		return nil
	}
	b.running = true
	go b.run()
	return nil
}

// Shutdown stops the loop and writes what is buffered, within ctx; rows
// left unwritten are dropped, counted and logged. Safe without Start and
// twice; it returns nil.
func (b *Buffer) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.done)
		if !b.running {
			close(b.stopped)
		}
	}
	b.mu.Unlock()
	if b.w == nil {
		return nil
	}
	select {
	case <-b.stopped:
	case <-ctx.Done():
	}
	b.flush(ctx)
	b.mu.Lock()
	n := len(b.buf)
	b.buf, b.retry = nil, 0
	b.mu.Unlock()
	if n > 0 {
		b.m.dropped.Add(float64(n))
		b.m.buffered.Set(0)
		b.logger.Warn("delivery log: rows not written at shutdown", "rows", n)
	}
	return nil
}

func (b *Buffer) run() {
	defer close(b.stopped)
	t := time.NewTicker(b.interval)
	defer t.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-t.C:
		case <-b.kick:
		}
		b.flush(context.Background())
	}
}

// flush writes what is buffered, batch by batch, until the buffer is empty,
// a write fails (the batch stays at the head of the buffer) or ctx ends.
func (b *Buffer) flush(ctx context.Context) {
	select {
	case b.flushing <- struct{}{}:
		defer func() { <-b.flushing }()
	case <-ctx.Done():
		return
	}
	for {
		b.mu.Lock()
		n := min(len(b.buf), batchRows)
		if b.retry > 0 {
			n = min(b.retry, len(b.buf))
		}
		batch := b.buf[:n:n]
		b.mu.Unlock()
		if n == 0 {
			return
		}
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		err := b.w.WriteDeliveries(wctx, batch)
		cancel()
		if err != nil {
			b.mu.Lock()
			if len(b.buf) >= n { // else Shutdown dropped the buffer meanwhile
				b.retry = n
			}
			b.mu.Unlock()
			b.m.errors.Inc()
			b.logger.Warn("delivery log: write failed; rows kept in memory", "rows", n, "err", err)
			return
		}
		b.mu.Lock()
		if len(b.buf) < n {
			// Shutdown gave up waiting for this write and dropped the
			// buffer (the rows were counted as dropped).
			b.mu.Unlock()
			return
		}
		// Reuse the buffer: move what was added meanwhile to its front and
		// clear the rest (no references kept); a buffer grown far beyond a
		// batch (the writer was down) is let go once empty.
		b.retry = 0
		rest := copy(b.buf, b.buf[n:])
		clear(b.buf[rest:])
		b.buf = b.buf[:rest]
		if rest == 0 && cap(b.buf) > 2*batchRows {
			b.buf = nil
		}
		b.mu.Unlock()
		b.m.buffered.Set(float64(rest))
		if ctx.Err() != nil {
			return
		}
	}
}
