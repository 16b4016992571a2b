package forwarder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/forwarder/queue"
)

// DeadLetter is a delivery that failed for good, kept for manual retry
// (Forwarder.RetryDead) for forwarder.dead_letter_ttl.
type DeadLetter struct {
	DeliveryID string    `json:"delivery_id"`
	EndpointID string    `json:"endpoint_id"`
	EventID    string    `json:"event_id"`
	EventName  string    `json:"event_name"`
	WebhookID  string    `json:"webhook_id"`
	Attempts   int       `json:"attempts"`
	LastStatus int       `json:"last_status"`
	Reason     string    `json:"reason"`
	DeadAt     time.Time `json:"dead_at"`
}

type deadRecord struct {
	DeadLetter
	Message queue.Message `json:"message"`
}

// ErrNotFound is returned for unknown endpoints and dead letters.
var ErrNotFound = errors.New("not found")

func (f *Forwarder) bury(ctx context.Context, m *queue.Message, attempts, status int, reason string, at time.Time) error {
	rec := deadRecord{
		DeadLetter: DeadLetter{DeliveryID: m.DeliveryID, EndpointID: m.EndpointID, EventID: m.Event.ID, EventName: m.Event.Name,
			WebhookID: m.WebhookID, Attempts: attempts, LastStatus: status, Reason: reason, DeadAt: at},
		Message: *m,
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = f.deadKV.Put(ctx, m.DeliveryID, b)
	return err
}

// DeadLetters lists dead deliveries of an endpoint ("" for all), at most limit.
func (f *Forwarder) DeadLetters(ctx context.Context, endpointID string, limit int) ([]DeadLetter, error) {
	kv, err := f.deadBucket()
	if err != nil {
		return nil, err
	}
	lister, err := kv.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []DeadLetter
	for key := range lister.Keys() {
		if limit > 0 && len(out) >= limit {
			_ = lister.Stop()
			break
		}
		e, err := kv.Get(ctx, key)
		if err != nil {
			continue
		}
		var rec deadRecord
		if json.Unmarshal(e.Value(), &rec) != nil {
			continue
		}
		if endpointID == "" || rec.EndpointID == endpointID {
			out = append(out, rec.DeadLetter)
		}
	}
	return out, nil
}

// RetryDead queues a dead delivery again: one more attempt, with the same
// webhook-id and attempt numbers continuing; no further retries are
// scheduled (if it fails it is dead again). The dead letter is removed once
// the delivery is queued.
func (f *Forwarder) RetryDead(ctx context.Context, deliveryID string) error {
	kv, err := f.deadBucket()
	if err != nil {
		return err
	}
	e, err := kv.Get(ctx, deliveryID)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("dead delivery %s: %w", deliveryID, ErrNotFound)
	}
	if err != nil {
		return err
	}
	var rec deadRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return err
	}
	m := rec.Message
	m.PriorAttempts, m.Manual, m.EnqueuedAt = rec.Attempts, true, time.Now()
	if err := f.q.Publish(ctx, &m, fmt.Sprintf("%s-r%d", m.DeliveryID, rec.Attempts)); err != nil {
		return err
	}
	return kv.Delete(ctx, deliveryID, jetstream.LastRevision(e.Revision()))
}

func (f *Forwarder) deadBucket() (jetstream.KeyValue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state != stateStarted {
		return nil, errors.New("forwarder: not started")
	}
	return f.deadKV, nil
}

// openDeadLetters creates or updates the dead-letter bucket.
func openDeadLetters(ctx context.Context, js jetstream.JetStream, prefix string, ttl time.Duration) (jetstream.KeyValue, error) {
	name := prefix + "_DEAD_LETTERS"
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      name,
		Description: "bridge forwarder: dead deliveries, kept for manual retry",
		History:     1,
		TTL:         ttl,
		MaxBytes:    1 << 30,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("forwarder: kv %s: %w", name, err)
	}
	return kv, nil
}
