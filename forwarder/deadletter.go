package forwarder

import (
	"context"
	"errors"
	"fmt"

	"github.com/popinbridge/bridge/forwarder/deadletter"
	"github.com/popinbridge/bridge/forwarder/queue"
)

// DeadLetter is a delivery that failed for good, kept for manual retry
// (RetryDead) for forwarder.dead_letter_ttl.
type DeadLetter = deadletter.Letter

// ErrNotFound is returned for unknown endpoints and dead letters.
var ErrNotFound = errors.New("not found")

// ErrNotDelivered is returned by Test for an event the endpoint does not
// take (not subscribed, or not mapped for the Conversions API).
var ErrNotDelivered = errors.New("not delivered")

// DeadLetters lists dead deliveries of an endpoint ("" for all), at most limit.
func (f *Forwarder) DeadLetters(ctx context.Context, endpointID string, limit int) ([]DeadLetter, error) {
	dead, err := f.deadStore()
	if err != nil {
		return nil, err
	}
	return dead.List(ctx, endpointID, limit)
}

// RetryDead queues a dead delivery again: one more attempt, with the same
// webhook-id and attempt numbers continuing; no further retries are
// scheduled (if it fails it is dead again). The dead letter is removed once
// the delivery is queued.
func (f *Forwarder) RetryDead(ctx context.Context, deliveryID string) error {
	dead, err := f.deadStore()
	if err != nil {
		return err
	}
	err = dead.Retry(ctx, deliveryID, func(m *queue.Message, msgID string) error { return f.q.Publish(ctx, m, msgID) })
	if errors.Is(err, deadletter.ErrNotFound) {
		return fmt.Errorf("dead delivery %s: %w", deliveryID, ErrNotFound)
	}
	return err
}

func (f *Forwarder) deadStore() (*deadletter.Store, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state != stateStarted {
		return nil, errors.New("forwarder: not started")
	}
	return f.dead, nil
}
