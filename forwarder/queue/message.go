package queue

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/signing"
)

// Message is one delivery as stored in the queue.
type Message struct {
	DeliveryID string      `json:"delivery_id"`
	WebhookID  string      `json:"webhook_id"`
	EndpointID string      `json:"endpoint_id"`
	Event      event.Event `json:"event"`
	EnqueuedAt time.Time   `json:"enqueued_at"`
	// PriorAttempts counts attempts made before this message was queued (by
	// a retry, a hand-off or a manual retry); this one is PriorAttempts+1.
	PriorAttempts int `json:"prior_attempts,omitempty"`
	// Manual marks a manual retry: one attempt, no scheduled retries.
	Manual bool `json:"manual,omitempty"`
	// Replay marks a manual delivery queued by a replay (Manual is set
	// too); the delivery log records its attempts as replays. A replay
	// queued before this field existed has Manual set and PriorAttempts 0,
	// which a manual retry of a dead letter never has.
	Replay bool `json:"replay,omitempty"`
	// NotBefore: the attempt is not made before then (a scheduled retry).
	NotBefore time.Time `json:"not_before,omitzero"`
	// Handoff marks the copy of a fast-path first attempt that overran its
	// budget (see the forwarder's fastpath.go).
	Handoff bool `json:"handoff,omitempty"`
	// Ordered delivery (ordered.go): Visitor is the hash of the visitor
	// key; Drain marks a request to attempt the head of the visitor's park
	// (DeliveryID: the head expected, PriorAttempts: attempts made on it).
	Visitor string `json:"visitor,omitempty"`
	Drain   bool   `json:"drain,omitempty"`
}

// Decode reads a stored message.
func Decode(b []byte) (*Message, error) {
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("queue: unreadable delivery: %w", err)
	}
	return &m, nil
}

// DeliveryID is the id of the delivery of event eventID to endpoint
// endpointID: stable, so the same pair always gives the same id.
func DeliveryID(endpointID, eventID string) string {
	var in [128]byte
	b := append(append(append(in[:0], endpointID...), 0), eventID...)
	s := sha256.Sum256(b)
	var out [4 + 24]byte
	copy(out[:], "dlv_")
	hex.Encode(out[4:], s[:12])
	return string(out[:])
}

// WebhookID is the webhook-id sent for an event: the event id itself (the
// event's identity everywhere, CONTRACT §6), or a hash of it when it cannot
// be used in the signed content (contains '.', spaces, …).
func WebhookID(eventID string) string {
	if signing.ValidID(eventID) {
		return eventID
	}
	s := sha256.Sum256([]byte(eventID))
	return "evt_" + hex.EncodeToString(s[:16])
}

// Message ids (Nats-Msg-Id) make a repeated write within the dedup window
// a no-op: the delivery id for a first attempt, these for the others.

// RetryID is the message id of the retry queued after attempt n failed.
func RetryID(deliveryID string, n int) string { return fmt.Sprintf("%s-a%d", deliveryID, n) }

// HandoffID is the message id of a fast-path attempt's hand-off copy.
func HandoffID(deliveryID string) string { return deliveryID + "-h" }
