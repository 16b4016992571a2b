// Package deadletter keeps the deliveries that failed for good, for manual
// retry, in a JetStream KV bucket (<prefix>_DEAD_LETTERS) shared by every
// node, for a configured time.
package deadletter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/forwarder/queue"
	"github.com/popinbridge/bridge/internal/natsrv"
)

// ErrNotFound is returned for a delivery that is not a dead letter.
var ErrNotFound = errors.New("not a dead letter")

// Letter describes a dead delivery.
type Letter struct {
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

// record is what the bucket stores: the letter and the queued message, so
// a retry sends what the failed attempts sent.
type record struct {
	Letter
	Message queue.Message `json:"message"`
}

// Store is the dead-letter bucket. Safe for concurrent use.
type Store struct {
	kv jetstream.KeyValue
}

// Open creates or updates the bucket <prefix>_DEAD_LETTERS; entries expire
// after ttl; it keeps replicas copies (at least 1).
func Open(ctx context.Context, js jetstream.JetStream, prefix string, ttl time.Duration, replicas int, logger *slog.Logger) (*Store, error) {
	name := prefix + "_DEAD_LETTERS"
	kv, err := natsrv.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      name,
		Description: "bridge forwarder: dead deliveries, kept for manual retry",
		History:     1,
		TTL:         ttl,
		MaxBytes:    1 << 30,
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("deadletter: bucket %s: %w", name, err)
	}
	return &Store{kv: kv}, nil
}

// Put stores m as dead after attempts, the last answered with status.
func (s *Store) Put(ctx context.Context, m *queue.Message, attempts, status int, reason string, at time.Time) error {
	rec := record{
		Letter: Letter{DeliveryID: m.DeliveryID, EndpointID: m.EndpointID, EventID: m.Event.ID, EventName: m.Event.Name,
			WebhookID: m.WebhookID, Attempts: attempts, LastStatus: status, Reason: reason, DeadAt: at},
		Message: *m,
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("deadletter: %w", err)
	}
	if _, err := s.kv.Put(ctx, m.DeliveryID, b); err != nil {
		return fmt.Errorf("deadletter: %w", err)
	}
	return nil
}

// List returns the dead letters of an endpoint ("" for all), at most limit
// (0: no limit). Entries that cannot be read are skipped.
func (s *Store) List(ctx context.Context, endpointID string, limit int) ([]Letter, error) {
	lister, err := s.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("deadletter: %w", err)
	}
	var out []Letter
	for key := range lister.Keys() {
		if limit > 0 && len(out) >= limit {
			_ = lister.Stop()
			break
		}
		rec, _, err := s.get(ctx, key)
		if err != nil {
			continue
		}
		if endpointID == "" || rec.EndpointID == endpointID {
			out = append(out, rec.Letter)
		}
	}
	return out, nil
}

// Retry hands the dead delivery's message to requeue, prepared for one
// more attempt (attempt numbers continue, no further retries scheduled),
// and removes the letter once requeue succeeded. ErrNotFound when
// deliveryID is not a dead letter.
func (s *Store) Retry(ctx context.Context, deliveryID string, requeue func(m *queue.Message, msgID string) error) error {
	rec, rev, err := s.get(ctx, deliveryID)
	if err != nil {
		return err
	}
	m := rec.Message
	m.PriorAttempts, m.Manual, m.EnqueuedAt, m.NotBefore, m.Handoff = rec.Attempts, true, time.Now(), time.Time{}, false
	m.Replay = false // a manual retry, even of a replayed delivery
	if err := requeue(&m, fmt.Sprintf("%s-r%d", m.DeliveryID, rec.Attempts)); err != nil {
		return err
	}
	if err := s.kv.Delete(ctx, deliveryID, jetstream.LastRevision(rev)); err != nil {
		return fmt.Errorf("deadletter: %w", err)
	}
	return nil
}

func (s *Store) get(ctx context.Context, key string) (record, uint64, error) {
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return record{}, 0, fmt.Errorf("delivery %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return record{}, 0, fmt.Errorf("deadletter: %w", err)
	}
	var rec record
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return record{}, 0, fmt.Errorf("deadletter: %s unreadable: %w", key, err)
	}
	return rec, e.Revision(), nil
}
