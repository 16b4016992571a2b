package eventlog

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/collector/eventlog/internal/dedup"
	"github.com/popinbridge/bridge/collector/eventlog/internal/segcodec"
)

// committer is the group commit: Append callers put encoded events into the
// open batch; one goroutine seals it, publishes it as one JetStream message
// and releases every caller when the server acknowledges it, which with
// SyncAlways means after fsync. Up to MaxInFlightCommits sealed batches await
// their ack while the next one fills. The open batch is sealed at once when
// no commit is in flight (a lone append has nothing to wait for), else when
// the commits in flight have all finished, CommitDelay after its first event
// or when full, whichever comes first: under load, batches grow while earlier
// commits await their fsync.
//
// Dedup: every event key is either committed (in index), in flight (in
// inflight, mapped to the batch carrying it) or unknown. Only unknown keys are
// written; callers presenting an in-flight key wait for that batch.
type committer struct {
	cfg    Config
	js     jetstream.JetStream
	m      *metrics
	logger *slog.Logger
	now    func() time.Time
	onFull func()
	keys   *keyStore
	quota  *siteQuota

	// refusedSize is the size of the last segment refused as full, 0 once a
	// segment is committed again (Ready).
	refusedSize atomic.Int64

	mu       sync.Mutex
	closed   bool
	open     *batch
	sealed   chan struct{} // closed (and replaced) each time open is sealed
	inflight map[dedup.Key]*batch
	index    *dedup.Index
	pending  map[*batch]struct{} // sealed, not yet finished

	wake  chan struct{} // cap 1: open batch got its first event, or is full
	stop  chan struct{} // closed by close()
	slots chan struct{} // cap MaxInFlightCommits
	freed chan struct{} // cap 1: a commit finished and gave back its slot
	bufs  chan []byte   // segment buffers of committed batches, for reuse
	wg    sync.WaitGroup
	done  chan struct{} // run returned and all publishes finished
}

type batch struct {
	seg   segcodec.Builder
	keys  []dedup.Key
	sites map[string]int64 // encoded bytes per site
	first time.Time
	once  sync.Once
	done  chan struct{}
	err   error
}

// newBatch returns an empty batch building its segment in buf (nil allocates).
func newBatch(buf []byte) *batch {
	b := &batch{done: make(chan struct{}), sites: make(map[string]int64, 1)}
	b.seg.Reset(buf)
	return b
}

func (b *batch) finish(err error) bool {
	fired := false
	b.once.Do(func() {
		b.err = err
		close(b.done)
		fired = true
	})
	return fired
}

func newCommitter(cfg Config, js jetstream.JetStream, index *dedup.Index, keys *keyStore, quota *siteQuota,
	m *metrics, logger *slog.Logger, now func() time.Time, onFull func()) *committer {
	c := &committer{
		cfg: cfg, js: js, m: m, logger: logger, now: now, onFull: onFull, keys: keys, quota: quota,
		open:     newBatch(nil),
		sealed:   make(chan struct{}),
		inflight: make(map[dedup.Key]*batch),
		index:    index,
		pending:  make(map[*batch]struct{}),
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		slots:    make(chan struct{}, cfg.MaxInFlightCommits),
		freed:    make(chan struct{}, 1),
		bufs:     make(chan []byte, keptSegmentBuffers),
		done:     make(chan struct{}),
	}
	m.dedupEntries.Set(float64(index.Len()))
	go c.run()
	return c
}

func (c *committer) full(b *batch, add int) bool {
	return b.seg.Len() > 0 && (b.seg.Len()+1 > c.cfg.MaxCommitEvents || b.seg.Size()+add > c.cfg.MaxCommitBytes)
}

func (c *committer) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// pendingEvent is one event of an Append: its dedup key, site and record.
type pendingEvent struct {
	key  dedup.Key
	site string
	rec  segcodec.Record
}

// submit writes evs and returns once all are committed.
func (c *committer) submit(ctx context.Context, evs []pendingEvent) error {
	var waitBuf [2]*batch
	waits := waitBuf[:0] // distinct; an append rarely spans more than two batches
	dups := 0
	c.mu.Lock()
	now := c.now()
	for i := 0; i < len(evs); i++ {
		if c.closed {
			c.mu.Unlock()
			return ErrClosed
		}
		k, site, rec := evs[i].key, evs[i].site, evs[i].rec
		if c.index.Contains(k, now) {
			dups++
			continue
		}
		if b, ok := c.inflight[k]; ok {
			if !slices.Contains(waits, b) {
				waits = append(waits, b)
			}
			dups++
			continue
		}
		if c.full(c.open, len(rec)) {
			// No room: have the committer seal the open batch, then redo this key.
			ch := c.sealed
			c.mu.Unlock()
			c.signal()
			select {
			case <-ch:
			case <-ctx.Done():
				return fmt.Errorf("eventlog: append: %w", ctx.Err())
			}
			c.mu.Lock()
			now = c.now()
			i--
			continue
		}
		b := c.open
		if b.seg.Len() == 0 {
			b.first = time.Now()
		}
		b.seg.Add(rec)
		b.keys = append(b.keys, k)
		b.sites[site] += int64(len(rec))
		c.quota.add(site, int64(len(rec)))
		c.inflight[k] = b
		if !slices.Contains(waits, b) {
			waits = append(waits, b)
		}
		if b.seg.Len() == 1 || c.full(b, 0) {
			c.signal()
		}
	}
	c.mu.Unlock()
	if dups > 0 {
		c.m.duplicates.Add(float64(dups))
	}
	for _, b := range waits {
		select {
		case <-b.done:
			if b.err != nil {
				return b.err
			}
		case <-ctx.Done():
			return fmt.Errorf("eventlog: append: %w", ctx.Err())
		}
	}
	return nil
}

func (c *committer) run() {
	defer func() {
		c.wg.Wait()
		close(c.done)
	}()
	for {
		select {
		case <-c.wake:
		case <-c.stop:
			c.drain()
			return
		}
		if len(c.slots) > 0 && !c.linger() {
			c.drain()
			return
		}
		select {
		case c.slots <- struct{}{}:
		case <-c.stop:
			c.drain()
			return
		}
		if b := c.seal(); b != nil {
			c.publish(b)
		} else {
			<-c.slots
		}
	}
}

// linger waits, while a commit is in flight, until the open batch is full,
// CommitDelay has passed since its first event or no commit is in flight any
// more (the server is idle: waiting longer would only add latency). It
// returns false when the committer is stopping.
func (c *committer) linger() bool {
	if c.cfg.CommitDelay <= 0 {
		return true
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		c.mu.Lock()
		n, first, full := c.open.seg.Len(), c.open.first, c.full(c.open, 1) || c.open.seg.Len() >= c.cfg.MaxCommitEvents
		c.mu.Unlock()
		if n == 0 || full || len(c.slots) == 0 {
			return true
		}
		d := time.Until(first.Add(c.cfg.CommitDelay))
		if d <= 0 {
			return true
		}
		if timer == nil {
			timer = time.NewTimer(d)
		} else {
			timer.Reset(d)
		}
		select {
		case <-timer.C:
			return true
		case <-c.wake:
		case <-c.freed:
		case <-c.stop:
			return false
		}
	}
}

// seal swaps in a new open batch and returns the old one, nil if it was empty.
func (c *committer) seal() *batch {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.open
	if b.seg.Len() == 0 {
		return nil
	}
	c.open = newBatch(c.buffer())
	close(c.sealed)
	c.sealed = make(chan struct{})
	c.pending[b] = struct{}{}
	return b
}

// drain publishes what is left once closed is set; no new events arrive.
func (c *committer) drain() {
	c.slots <- struct{}{}
	if b := c.seal(); b != nil {
		c.publish(b)
	} else {
		<-c.slots
	}
}

// close stops accepting appends and starts draining.
func (c *committer) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	close(c.stop)
}

// abort fails every batch not yet finished; used when Shutdown's ctx ends.
func (c *committer) abort() {
	c.mu.Lock()
	bs := []*batch{c.open}
	for b := range c.pending {
		bs = append(bs, b)
	}
	c.mu.Unlock()
	for _, b := range bs {
		b.finish(fmt.Errorf("eventlog: append: %w", ErrClosed))
	}
}
