package queue

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
)

// Ordered delivery (ordering per_visitor) uses three more kinds of subject
// of an endpoint, beside its own:
//
//	<endpoint>.p.<k>   partition k of the visitors: a durable consumer with
//	                   MaxAckPending 1, so one message at a time cluster-wide
//	<endpoint>.v.<vh>  the park of visitor vh: its deliveries held back
//	                   behind a failed one, head first; no consumer, read
//	                   and deleted by partition k's holder only
//	<endpoint>.w       wake-ups: when a park's head is due again
//
// The subjects do not overlap the endpoint's own subject, so its consumers
// and these coexist in the work-queue stream.

// Partitions is how many partitions an ordered endpoint has: at most this
// many of its deliveries are attempted at once, cluster-wide.
const Partitions = 16

// VisitorHash names a visitor key in subjects (64-bit FNV-1a, hex): two
// keys with one hash are ordered together, nothing worse.
func VisitorHash(key string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return strconv.FormatUint(h.Sum64(), 16)
}

// PartitionOf is the partition of a visitor hash.
func PartitionOf(vh string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(vh))
	return int(h.Sum32() % Partitions)
}

func (q *Queue) partitionSubject(endpointID string, k int) string {
	return q.prefix + endpointID + ".p." + strconv.Itoa(k)
}
func (q *Queue) parkSubject(endpointID, vh string) string { return q.prefix + endpointID + ".v." + vh }
func (q *Queue) wakeSubject(endpointID string) string     { return q.prefix + endpointID + ".w" }

// PartitionConsumer creates or updates the consumer of partition k of an
// ordered endpoint: one message handed out at a time, across all nodes,
// the next only once it is acked (or terminated).
func (q *Queue) PartitionConsumer(ctx context.Context, endpointID string, k int) (jetstream.Consumer, error) {
	c, err := q.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       fmt.Sprintf("fwd_%s_p%d", endpointID, k),
		Description:   "bridge forwarder ordered deliveries of endpoint " + endpointID,
		FilterSubject: q.partitionSubject(endpointID, k),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.cfg.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: 1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: partition %d of endpoint %s: %w", k, endpointID, err)
	}
	return c, nil
}

// WakeConsumer creates or updates the consumer of an ordered endpoint's
// wake-ups (put back until due, like retries).
func (q *Queue) WakeConsumer(ctx context.Context, endpointID string) (jetstream.Consumer, error) {
	c, err := q.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       "fwd_" + endpointID + "_w",
		Description:   "bridge forwarder wake-ups of ordered endpoint " + endpointID,
		FilterSubject: q.wakeSubject(endpointID),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.cfg.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: 100_000,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: wake-ups of endpoint %s: %w", endpointID, err)
	}
	return c, nil
}

// PublishPartition stores m in its visitor's partition (m.Visitor set).
func (q *Queue) PublishPartition(ctx context.Context, m *Message, msgID string) error {
	return q.publishTo(ctx, q.partitionSubject(m.EndpointID, PartitionOf(m.Visitor)), m, msgID)
}

// PublishPark appends m to its visitor's park.
func (q *Queue) PublishPark(ctx context.Context, m *Message, msgID string) error {
	return q.publishTo(ctx, q.parkSubject(m.EndpointID, m.Visitor), m, msgID)
}

// PublishWake stores a wake-up (m.Drain, m.NotBefore set).
func (q *Queue) PublishWake(ctx context.Context, m *Message, msgID string) error {
	return q.publishTo(ctx, q.wakeSubject(m.EndpointID), m, msgID)
}

func (q *Queue) publishTo(ctx context.Context, subj string, m *Message, msgID string) error {
	res := make(chan error, 1)
	q.pub.submitTo(ctx, subj, m, msgID, func(err error) { res <- err })
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ParkHead returns the first delivery of a visitor's park at or after
// stream sequence from (1: the head) and its sequence (for DeleteParked);
// nil and 0 when there is none. An unreadable one comes back as nil, its
// sequence and the error.
func (q *Queue) ParkHead(ctx context.Context, endpointID, vh string, from uint64) (*Message, uint64, error) {
	raw, err := q.stream.GetMsg(ctx, from, jetstream.WithGetMsgSubject(q.parkSubject(endpointID, vh)))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("queue: park of endpoint %s: %w", endpointID, err)
	}
	m, err := Decode(raw.Data)
	if err != nil {
		return nil, raw.Sequence, err
	}
	return m, raw.Sequence, nil
}

// DeleteParked removes a settled delivery from its park.
func (q *Queue) DeleteParked(ctx context.Context, seq uint64) error {
	if err := q.stream.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("queue: park: %w", err)
	}
	return nil
}

// PartitionDepth is how many deliveries an ordered endpoint holds in its
// partitions and parks (waiting, parked or being attempted).
func (q *Queue) PartitionDepth(ctx context.Context, endpointID string) (uint64, error) {
	info, err := q.stream.Info(ctx, jetstream.WithSubjectFilter(q.prefix+endpointID+".*.>"))
	if err != nil {
		return 0, fmt.Errorf("queue: endpoint %s: %w", endpointID, err)
	}
	var n uint64
	for _, c := range info.State.Subjects {
		n += c
	}
	return n, nil
}
