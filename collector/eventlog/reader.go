package eventlog

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/collector/eventlog/internal/segcodec"
	"github.com/popinbridge/bridge/internal/event"
)

// opTimeout bounds the acks and info requests of the contract's
// context-free methods.
const opTimeout = 5 * time.Second

var readerNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Reader returns the named durable cursor, creating it on first use. It is a
// JetStream durable pull consumer named name with explicit acks and AckWait,
// starting at the oldest retained segment. Readers may be registered before
// Start (bound during Start) or after; a reader registered before Start is
// counted by retention from the moment it is bound. Calling Reader twice with
// one name returns the same Reader.
func (l *Log) Reader(name string) (Reader, error) {
	if !readerNameRE.MatchString(name) {
		return nil, fmt.Errorf("eventlog: reader name %q: want 1-64 letters, digits, '_' or '-'", name)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state == stateClosed {
		return nil, ErrClosed
	}
	if r, ok := l.readers[name]; ok {
		return r, nil
	}
	r := &reader{l: l, name: name}
	if l.state == stateStarted {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if err := r.bind(ctx); err != nil {
			return nil, err
		}
	}
	l.readers[name] = r
	return r, nil
}

// DeleteReader removes the named durable cursor from the log, so that it no
// longer holds back retention. Use it when a consumer is retired for good.
func (l *Log) DeleteReader(ctx context.Context, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != stateStarted {
		return fmt.Errorf("eventlog: delete reader: %w: not started", ErrUnavailable)
	}
	if r, ok := l.readers[name]; ok {
		if p, _ := r.puller(); p != nil {
			p.close()
		}
	}
	delete(l.readers, name)
	if err := l.stream.DeleteConsumer(ctx, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("eventlog: delete reader %s: %w", name, err)
	}
	return nil
}

type reader struct {
	l    *Log
	name string
	// serial: one segment at a time across all processes (serial.go);
	// a new serial cursor starts at from (zero: at new segments).
	serial bool
	from   time.Time

	// follow: Fetch leaves its pull request open (follow.go).
	follow atomic.Bool

	mu   sync.Mutex
	cons jetstream.Consumer
	pull *puller
}

// bind creates or updates the consumer; called with l.mu held, after Start.
func (r *reader) bind(ctx context.Context) error {
	cfg := jetstream.ConsumerConfig{
		Durable:       r.name,
		Description:   "bridge event log reader",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       r.l.cfg.AckWait,
		MaxDeliver:    -1,
		FilterSubject: r.l.cfg.Subject,
	}
	if r.serial {
		if err := r.serialConfig(ctx, &cfg); err != nil {
			return err
		}
	}
	if r.l.nats.Embedded() {
		if err := r.rewindStale(ctx, &cfg); err != nil {
			return err
		}
	}
	cons, err := r.l.stream.CreateOrUpdateConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("eventlog: reader %s: %w", r.name, err)
	}
	if info := cons.CachedInfo(); r.l.nats.Embedded() && info != nil && info.NumAckPending > 0 {
		// The server took this cursor's state from its files only now
		// (its stream was created again over them, natsrv's quarantine):
		// what a previous run fetched is pending, as rewindStale handles.
		if err := r.rewindStale(ctx, &cfg); err != nil {
			return err
		}
		if cons, err = r.l.stream.CreateOrUpdateConsumer(ctx, cfg); err != nil {
			return fmt.Errorf("eventlog: reader %s: %w", r.name, err)
		}
	}
	r.mu.Lock()
	r.cons = cons
	if r.pull == nil {
		r.pull = newPuller(r.l.nc, r.l.cfg.StreamName, r.name)
	}
	r.mu.Unlock()
	return nil
}

// rewindStale makes segments that a previous run of this process fetched but
// did not ack available again at once, instead of after AckWait: after a
// crash, and after a clean stop too (a stopping reader leaves what it could
// not finish unacked, to be read again). Only for the embedded server: nobody else can hold its cursors.
// The cursor is recreated just after its ack floor, so segments acked out of
// order above the floor are read again; readers are idempotent.
func (r *reader) rewindStale(ctx context.Context, cfg *jetstream.ConsumerConfig) error {
	old, err := r.l.stream.Consumer(ctx, r.name)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("eventlog: reader %s: %w", r.name, err)
	}
	info := old.CachedInfo()
	if info == nil {
		return nil
	}
	// The start position of an existing cursor cannot be updated: keep it.
	cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = info.Config.DeliverPolicy, info.Config.OptStartSeq, info.Config.OptStartTime
	if info.NumAckPending == 0 {
		return nil
	}
	if err := r.l.stream.DeleteConsumer(ctx, r.name); err != nil {
		return fmt.Errorf("eventlog: reader %s: rewind: %w", r.name, err)
	}
	cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartSequencePolicy, nil
	cfg.OptStartSeq = info.AckFloor.Stream + 1
	r.l.logger.Info("reader resumes at its ack floor: segments the previous run fetched and did not ack are read again", "reader", r.name, "unacked", info.NumAckPending, "from_seq", cfg.OptStartSeq)
	return nil
}

func (r *reader) consumer() (jetstream.Consumer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cons == nil {
		return nil, fmt.Errorf("eventlog: reader %s: %w: log not started", r.name, ErrUnavailable)
	}
	return r.cons, nil
}

func (r *reader) puller() (*puller, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pull == nil {
		return nil, fmt.Errorf("eventlog: reader %s: %w: log not started", r.name, ErrUnavailable)
	}
	return r.pull, nil
}

// Fetch implements Reader: it returns as soon as at least one segment is
// there, with up to maxn (at most 1024) of what is there then, in one pull
// request (pull.go). A segment that cannot be decoded is terminated (never
// redelivered), logged and counted in bridge_eventlog_corrupt_segments_total.
//
// Pulls expire on the server (after wait, or a little before ctx's deadline),
// never by cancelling the client side. If ctx is cancelled mid-fetch, the
// segments received so far are nak'ed for immediate redelivery and ctx.Err()
// is returned; segments the server sends to that request afterwards are
// returned by the next Fetch.
func (r *reader) Fetch(ctx context.Context, maxn int, wait time.Duration) ([]Segment, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := r.puller()
	if err != nil {
		return nil, err
	}
	n := min(max(maxn, 1), 1024)
	ctxFirst := false
	if d, ok := ctx.Deadline(); ok && wait > 0 {
		if left := time.Until(d); left <= wait {
			ctxFirst = true
			wait = max(left-left/10, time.Millisecond)
		}
	}
	msgs, err := p.fetch(ctx, n, wait, r.follow.Load())
	var segs []Segment
	for _, msg := range msgs {
		if s := r.segment(msg); s != nil {
			segs = append(segs, s)
		}
	}
	if err != nil {
		for _, s := range segs {
			_ = s.Nak(0)
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("eventlog: reader %s: fetch: %w: %v", r.name, ErrUnavailable, err)
	}
	if len(segs) == 0 && ctxFirst {
		<-ctx.Done() // the server expired the pull just before ctx's deadline
		return nil, ctx.Err()
	}
	return segs, nil
}

func (r *reader) segment(msg *nats.Msg) Segment {
	meta, err := msg.Metadata()
	if err != nil {
		r.l.logger.Error("event log message without metadata", "reader", r.name, "error", err)
		return nil
	}
	events, err := segcodec.Decode(msg.Data)
	if err != nil {
		r.l.m.corrupt.Inc()
		r.l.logger.Error("terminating corrupt segment", "reader", r.name, "seq", meta.Sequence.Stream, "error", err)
		_ = msg.Term()
		return nil
	}
	return &segment{msg: msg, nc: r.l.nc, seq: meta.Sequence.Stream, deliveries: meta.NumDelivered, events: events}
}

// Pending implements Reader: segments not yet delivered plus those delivered
// and awaiting an ack.
func (r *reader) Pending() (uint64, error) {
	cons, err := r.consumer()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("eventlog: reader %s: info: %w: %v", r.name, ErrUnavailable, err)
	}
	return info.NumPending + uint64(info.NumAckPending), nil
}

type segment struct {
	msg        *nats.Msg
	nc         *nats.Conn // msg's connection (AckAll)
	seq        uint64
	deliveries uint64
	events     []event.Event
}

func (s *segment) Seq() uint64           { return s.seq }
func (s *segment) Events() []event.Event { return s.events }
func (s *segment) Deliveries() uint64    { return s.deliveries }

// Ack waits for the server to confirm the ack, so that a nil return means
// the segment will not be redelivered.
func (s *segment) Ack() error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := s.msg.AckSync(nats.Context(ctx)); err != nil {
		return fmt.Errorf("eventlog: ack segment %d: %w", s.seq, err)
	}
	return nil
}

// Nak asks for redelivery after delay (at once when delay <= 0).
func (s *segment) Nak(delay time.Duration) error {
	var err error
	if delay > 0 {
		err = s.msg.NakWithDelay(delay)
	} else {
		err = s.msg.Nak()
	}
	if err != nil {
		return fmt.Errorf("eventlog: nak segment %d: %w", s.seq, err)
	}
	return nil
}
