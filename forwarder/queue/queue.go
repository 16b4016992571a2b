// Package queue is the forwarder's durable delivery queue: one JetStream
// stream, <prefix>_DELIVERIES, with one subject per endpoint and one
// durable pull consumer per endpoint filtered on its subject. Work-queue
// retention removes a delivery once acked. Each endpoint's consumer has its
// own ack window and redelivery timers, so a dead or slow endpoint holds
// only its own messages: other endpoints' consumers never wait on it.
//
// A retry is a new message (attempt count and NotBefore inside) written
// before the failed one is acked, so it survives kill -9 and its attempt
// number is exact. Writes are group-committed (publisher.go): N concurrent
// enqueues cost one round of fsync on the server instead of N.
package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/internal/natsrv"
)

// Config sizes the queue.
type Config struct {
	// Prefix names the stream <Prefix>_DELIVERIES and its subjects.
	Prefix string
	// MaxPerEndpoint bounds each endpoint's deliveries; more are refused
	// (IsFull).
	MaxPerEndpoint int64
	// MaxBytes bounds the whole stream.
	MaxBytes int64
	// Dedup is how long a message id is remembered (a repeated write within
	// it is a no-op).
	Dedup time.Duration
	// AckWait is how long a fetched delivery may stay unacked before it is
	// handed out again (after a crash): beyond one attempt.
	AckWait time.Duration
	// Replicas of the stream (its consumers follow it).
	Replicas int
}

// Queue is the durable delivery queue. Open it, then Close it.
type Queue struct {
	cfg    Config
	stream jetstream.Stream
	prefix string // subject prefix
	pub    *publisher
}

// Open creates or updates the stream and starts the group-committing
// publisher; wake is called with an endpoint id after deliveries for it
// were stored.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config, logger *slog.Logger, wake func(endpointID string)) (*Queue, error) {
	name := cfg.Prefix + "_DELIVERIES"
	prefix := "fwd." + cfg.Prefix + ".deliveries."
	st, err := natsrv.EnsureStream(ctx, js, jetstream.StreamConfig{
		Name:                 name,
		Description:          "bridge forwarder: one durable delivery queue per endpoint",
		Subjects:             []string{prefix + ">"},
		Retention:            jetstream.WorkQueuePolicy,
		Storage:              jetstream.FileStorage,
		Discard:              jetstream.DiscardNew,
		DiscardNewPerSubject: true,
		MaxMsgsPerSubject:    cfg.MaxPerEndpoint,
		MaxBytes:             cfg.MaxBytes,
		Duplicates:           cfg.Dedup,
		Replicas:             max(cfg.Replicas, 1),
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("queue: stream %s: %w", name, err)
	}
	q := &Queue{cfg: cfg, stream: st, prefix: prefix}
	q.pub = newPublisher(js, q.subject, logger, wake)
	return q, nil
}

func (q *Queue) subject(endpointID string) string { return q.prefix + endpointID }

func consumerName(endpointID string) string { return "fwd_" + endpointID }

// Consumer creates or updates an endpoint's durable consumer.
func (q *Queue) Consumer(ctx context.Context, endpointID string) (jetstream.Consumer, error) {
	c, err := q.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       consumerName(endpointID),
		Description:   "bridge forwarder deliveries of endpoint " + endpointID,
		FilterSubject: q.subject(endpointID),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.cfg.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: 100_000,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: consumer for endpoint %s: %w", endpointID, err)
	}
	return c, nil
}

// Depth is how many deliveries an endpoint's queue holds: waiting, or
// fetched and not yet acked (one put back until its NotBefore counts).
func (q *Queue) Depth(ctx context.Context, endpointID string) (uint64, error) {
	c, err := q.stream.Consumer(ctx, consumerName(endpointID))
	if err != nil {
		return 0, fmt.Errorf("queue: endpoint %s: %w", endpointID, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("queue: endpoint %s: %w", endpointID, err)
	}
	return info.NumPending + uint64(info.NumAckPending), nil
}

// Submit stores m under msgID (group-committed with other submits) and
// calls done with the outcome once the server stored it (a duplicate
// within the dedup window is success). It blocks while the publisher's
// bounded request channel is full, until ctx ends.
func (q *Queue) Submit(ctx context.Context, m *Message, msgID string, done func(error)) {
	q.pub.submit(ctx, m, msgID, done)
}

// Publish is Submit and wait.
func (q *Queue) Publish(ctx context.Context, m *Message, msgID string) error {
	return q.pub.publish(ctx, m, msgID)
}

// Close refuses new writes, stores those already submitted and returns
// when done or when ctx ends. Safe twice.
func (q *Queue) Close(ctx context.Context) { q.pub.stop(ctx) }

// IsFull reports a write refused because the endpoint's own queue holds
// MaxPerEndpoint deliveries.
func IsFull(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == 10077 && // JSStreamStoreFailedF
		strings.Contains(apiErr.Description, "maximum messages per subject")
}

// PublishTimeout is a sensible bound for a Publish whose caller must not
// hang: twice the wait for one group's acknowledgements.
const PublishTimeout = 2 * pubAckTimeout
