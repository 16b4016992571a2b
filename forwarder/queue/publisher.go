package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// errPublisherClosed is returned for publishes submitted after Shutdown.
var errPublisherClosed = errors.New("queue: delivery queue publisher stopped")

// pubBatchMax bounds one group of async publishes; it stays under the
// client's async publish window (4000).
const pubBatchMax = 1024

// pubAckTimeout bounds the wait for one group's PubAcks.
const pubAckTimeout = 10 * time.Second

type pubReq struct {
	subj  string
	msgID string
	ep    string
	data  []byte
	done  func(err error) // called once, from the publisher goroutine
}

// publisher writes deliveries into the durable queue in groups: it takes
// whatever requests are waiting (up to pubBatchMax), publishes them all
// asynchronously and waits for every PubAck together, so that N concurrent
// enqueues cost one round of fsync on the server instead of N. Requests
// wait in a bounded channel; submit blocks (back-pressure) when it is full.
type publisher struct {
	js      jetstream.JetStream
	subject func(endpointID string) string
	logger  *slog.Logger
	wake    func(endpointID string)

	ch      chan *pubReq
	mu      sync.Mutex
	closed  bool
	stopped chan struct{}
	quit    chan struct{}
}

func newPublisher(js jetstream.JetStream, subject func(string) string, logger *slog.Logger, wake func(string)) *publisher {
	p := &publisher{js: js, subject: subject, logger: logger, wake: wake,
		ch: make(chan *pubReq, 4*pubBatchMax), stopped: make(chan struct{}), quit: make(chan struct{})}
	go p.run()
	return p
}

// submit queues m under msgID (Nats-Msg-Id, for the stream's dedup) and
// calls done with the outcome once the server stored it (a duplicate within
// the dedup window is success). It blocks while the request channel is
// full, until ctx ends.
func (p *publisher) submit(ctx context.Context, m *Message, msgID string, done func(error)) {
	p.submitTo(ctx, p.subject(m.EndpointID), m, msgID, done)
}

// submitTo is submit to another subject of the stream than the endpoint's.
func (p *publisher) submitTo(ctx context.Context, subj string, m *Message, msgID string, done func(error)) {
	b, err := json.Marshal(m)
	if err != nil {
		done(fmt.Errorf("queue: encode delivery: %w", err))
		return
	}
	r := &pubReq{subj: subj, msgID: msgID, ep: m.EndpointID, data: b, done: done}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		done(errPublisherClosed)
		return
	}
	select {
	case p.ch <- r:
	case <-ctx.Done():
		done(ctx.Err())
	case <-p.quit:
		done(errPublisherClosed)
	}
}

// publish is submit and wait.
func (p *publisher) publish(ctx context.Context, m *Message, msgID string) error {
	res := make(chan error, 1)
	p.submit(ctx, m, msgID, func(err error) { res <- err })
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *publisher) run() {
	defer close(p.stopped)
	batch := make([]*pubReq, 0, pubBatchMax)
	for {
		var first *pubReq
		select {
		case first = <-p.ch:
		case <-p.quit:
			// Drain what was submitted before the stop.
			for {
				select {
				case r := <-p.ch:
					batch = append(batch[:0], r)
					p.flush(batch)
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < pubBatchMax {
			select {
			case r := <-p.ch:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		p.flush(batch)
	}
}

// flush publishes a group asynchronously and waits for all its PubAcks.
func (p *publisher) flush(batch []*pubReq) {
	futs := make([]jetstream.PubAckFuture, len(batch))
	errs := make([]error, len(batch))
	for i, r := range batch {
		futs[i], errs[i] = p.js.PublishAsync(r.subj, r.data, jetstream.WithMsgID(r.msgID))
	}
	timeout := time.NewTimer(pubAckTimeout)
	defer timeout.Stop()
	woken := map[string]bool{}
	for i, r := range batch {
		if errs[i] == nil {
			select {
			case <-futs[i].Ok():
			case err := <-futs[i].Err():
				errs[i] = err
			case <-timeout.C:
				errs[i] = fmt.Errorf("queue: enqueue: no PubAck within %s", pubAckTimeout)
				timeout.Reset(0)
			}
		}
		if errs[i] == nil && !woken[r.ep] {
			woken[r.ep] = true
		}
		r.done(errs[i])
	}
	for ep := range woken {
		p.wake(ep)
	}
}

// stop refuses new requests, publishes those already submitted and returns
// when done or when ctx ends.
func (p *publisher) stop(ctx context.Context) {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.quit)
	}
	p.mu.Unlock()
	select {
	case <-p.stopped:
	case <-ctx.Done():
	}
}
