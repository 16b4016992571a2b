package forwarder

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	dlv "github.com/popinbridge/bridge/internal/delivery"
)

// Delivery states recorded with each attempt.
// (internal/delivery; re-exported for the forwarder's callers).
const (
	StateDelivered = dlv.StateDelivered
	StateRetrying  = dlv.StateRetrying
	StateDead      = dlv.StateDead
	StateDisabled  = dlv.StateDisabled
	StateTest      = dlv.StateTest
)

// DeliveryRecord is one attempt, one row of the ClickHouse deliveries table.
type DeliveryRecord struct {
	DeliveryID     string
	EventID        string
	EndpointID     string
	SiteID         string
	EventName      string
	WebhookID      string
	Attempt        int
	StatusCode     int
	OK             bool
	LatencyMS      int64
	Error          string
	AttemptedAt    time.Time
	NextAttemptAt  time.Time // zero when none is scheduled
	Test           bool
	RequestURL     string
	RequestHeaders map[string]string // credentials redacted
	RequestBody    string
	ResponseBody   string
	State          string
}

// DeliveryWriter stores attempt rows, e.g. in ClickHouse (see
// NewClickHouseWriter). WriteDeliveries may fail; the forwarder retries a
// failed batch on its next flush and never blocks deliveries on it. It must
// not keep rows (the slice) after it returns: the forwarder reuses it.
type DeliveryWriter interface {
	WriteDeliveries(ctx context.Context, rows []DeliveryRecord) error
}

// DeliveryWriterFunc adapts a function to DeliveryWriter.
type DeliveryWriterFunc func(ctx context.Context, rows []DeliveryRecord) error

// WriteDeliveries implements DeliveryWriter.
func (f DeliveryWriterFunc) WriteDeliveries(ctx context.Context, rows []DeliveryRecord) error {
	return f(ctx, rows)
}

// headersJSON is how request headers are stored.
func headersJSON(h map[string]string) string {
	if len(h) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(h)
	return string(b)
}

// deliveryLog buffers rows in memory (bounded) and writes them in batches.
// Add never blocks; rows beyond the bound are dropped and counted.
type deliveryLog struct {
	w        DeliveryWriter
	max      int
	interval time.Duration
	logger   *slog.Logger
	m        *metrics

	flushing chan struct{} // one flush at a time (the loop, or stop after a timeout)
	mu       sync.Mutex
	buf      []DeliveryRecord
	kick     chan struct{}
	done     chan struct{}
	stopped  chan struct{}
	once     sync.Once
}

const logBatchRows = 5000

func newDeliveryLog(w DeliveryWriter, max int, interval time.Duration, logger *slog.Logger, m *metrics) *deliveryLog {
	return &deliveryLog{w: w, max: max, interval: interval, logger: logger, m: m,
		kick: make(chan struct{}, 1), flushing: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
}

// Add queues a row; it never blocks.
func (l *deliveryLog) Add(r DeliveryRecord) {
	if l.w == nil {
		return
	}
	l.mu.Lock()
	if len(l.buf) >= l.max {
		l.mu.Unlock()
		l.m.logDropped.Inc()
		return
	}
	l.buf = append(l.buf, r)
	n := len(l.buf)
	l.mu.Unlock()
	l.m.logBuffered.Set(float64(n))
	if n >= logBatchRows {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

func (l *deliveryLog) run() {
	defer close(l.stopped)
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
		case <-l.kick:
		}
		l.flush(context.Background())
	}
}

// flush writes what is buffered, batch by batch; a failed batch stays at the
// head of the buffer for the next flush.
func (l *deliveryLog) flush(ctx context.Context) {
	select {
	case l.flushing <- struct{}{}:
		defer func() { <-l.flushing }()
	case <-ctx.Done():
		return
	}
	for {
		l.mu.Lock()
		n := min(len(l.buf), logBatchRows)
		batch := l.buf[:n:n]
		l.mu.Unlock()
		if n == 0 {
			return
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := l.w.WriteDeliveries(wctx, batch)
		cancel()
		if err != nil {
			l.m.logErrors.Inc()
			l.logger.Warn("delivery log: write failed; rows kept in memory", "rows", n, "err", err)
			return
		}
		l.mu.Lock()
		// Reuse the buffer: move what was added meanwhile to its front and
		// clear the rest (no references kept); a buffer grown far beyond a
		// batch (ClickHouse was down) is let go once empty.
		rest := copy(l.buf, l.buf[n:])
		clear(l.buf[rest:])
		l.buf = l.buf[:rest]
		if rest == 0 && cap(l.buf) > 2*logBatchRows {
			l.buf = nil
		}
		l.mu.Unlock()
		l.m.logBuffered.Set(float64(rest))
		if ctx.Err() != nil {
			return
		}
	}
}

func (l *deliveryLog) start() {
	if l.w != nil {
		go l.run()
	} else {
		close(l.stopped)
	}
}

// stop ends the loop and makes a last flush within ctx; rows left unwritten
// are counted as dropped.
func (l *deliveryLog) stop(ctx context.Context) {
	l.once.Do(func() { close(l.done) })
	select {
	case <-l.stopped:
	case <-ctx.Done():
	}
	if l.w == nil {
		return
	}
	l.flush(ctx)
	l.mu.Lock()
	if n := len(l.buf); n > 0 {
		l.m.logDropped.Add(float64(n))
		l.logger.Warn("delivery log: rows not written at shutdown", "rows", n)
		l.buf = nil
	}
	l.mu.Unlock()
}
