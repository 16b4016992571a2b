package eventlog

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
)

// AckAll acks segs, all fetched from one Reader, and returns nil once the
// server confirmed every ack, as Ack does for one segment; otherwise how
// many segments could not be acked (they are redelivered) and why. For this
// package's readers it waits for one confirmation instead of one per
// segment: the acks of one connection are processed in order by the
// consumer, so it sends all but the last without waiting and waits for the
// last one's (a round trip, a fsync-free state update and several goroutine
// hand-offs each saved). Should that wait fail, or the connection have
// reconnected meanwhile (an ack sent before may be lost), every segment is
// acked again with its own confirmation (acking a segment twice is
// harmless). Segments of other implementations are acked one by one.
func AckAll(segs []Segment) (failed int, err error) {
	if len(segs) == 0 {
		return 0, nil
	}
	own := make([]*segment, 0, len(segs))
	for _, s := range segs {
		// One subscription: one reader's consumer, whose acks are ordered.
		if o, ok := s.(*segment); ok && o.nc != nil && o.msg.Sub != nil && (len(own) == 0 || o.msg.Sub == own[0].msg.Sub) {
			own = append(own, o)
		}
	}
	if len(own) < len(segs) || len(own) == 1 {
		return ackEach(segs)
	}
	nc := own[0].nc
	before := nc.Stats().Reconnects
	for _, s := range own[:len(own)-1] {
		if err = nc.Publish(s.msg.Reply, ackBody); err != nil {
			break
		}
	}
	if err == nil {
		err = ackConfirmed(nc, own[len(own)-1])
	}
	if err == nil && nc.Stats().Reconnects == before {
		return 0, nil
	}
	var errs []error
	for _, s := range own {
		if err := ackConfirmed(nc, s); err != nil {
			errs = append(errs, err)
		}
	}
	return joinAckErrors(errs, len(segs))
}

// ackBody is JetStream's ack.
var ackBody = []byte("+ACK")

// ackConfirmed acks s and waits for the server's confirmation.
func ackConfirmed(nc *nats.Conn, s *segment) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if _, err := nc.RequestWithContext(ctx, s.msg.Reply, ackBody); err != nil {
		return fmt.Errorf("eventlog: ack segment %d: %w", s.seq, err)
	}
	return nil
}

func ackEach(segs []Segment) (int, error) {
	var errs []error
	for _, s := range segs {
		if err := s.Ack(); err != nil {
			errs = append(errs, err)
		}
	}
	return joinAckErrors(errs, len(segs))
}

func joinAckErrors(errs []error, n int) (int, error) {
	if err := errors.Join(errs...); err != nil {
		return len(errs), fmt.Errorf("eventlog: %d of %d acks failed: %w", len(errs), n, err)
	}
	return 0, nil
}
