package forwarder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/signing"
)

// The durable delivery queue is one JetStream stream, <prefix>_DELIVERIES,
// with one subject per endpoint (<prefix lower>.deliveries.<endpoint id>) and
// one durable pull consumer per endpoint filtered on its subject. Work-queue
// retention removes a delivery once acked. Each endpoint's consumer has its
// own ack window and redelivery timers, so a dead or slow endpoint holds
// only its own messages: other endpoints' consumers never wait on it.
//
// It holds what the fast path (lane.go) does not settle: first attempts of
// endpoints that are paused, unhealthy, busy or CAPI, and every retry. A
// retry is a new message (attempt count and NotBefore inside) written before
// the failed one is acked, so it survives kill -9 and its attempt number is
// exact; a delivery fetched before its NotBefore is put back
// (NakWithDelay) without an attempt. Nats-Msg-Id (delivery id, plus
// "-a<n>" for the retry after attempt n, "-h" for a hand-off) makes a
// repeated write within the dedup window a no-op.

// message is one delivery as stored in the queue.
type message struct {
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
	// NotBefore: the attempt is not made before then (a scheduled retry).
	NotBefore time.Time `json:"not_before,omitzero"`
	// Handoff marks the copy of a fast-path first attempt that overran its
	// budget (see lane.go).
	Handoff bool `json:"handoff,omitempty"`
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

type queueNames struct {
	stream, subjectPrefix, deadBucket string
}

func names(prefix string) queueNames {
	return queueNames{
		stream:        prefix + "_DELIVERIES",
		subjectPrefix: "fwd." + prefix + ".deliveries.",
		deadBucket:    prefix + "_DEAD_LETTERS",
	}
}

func (n queueNames) subject(endpointID string) string { return n.subjectPrefix + endpointID }

func (n queueNames) consumer(endpointID string) string { return "fwd_" + endpointID }

// setupQueue creates or updates the stream and the dead-letter bucket.
func setupQueue(ctx context.Context, js jetstream.JetStream, n queueNames, c *Config, p parsed) (jetstream.Stream, jetstream.KeyValue, error) {
	scfg := jetstream.StreamConfig{
		Name:                 n.stream,
		Description:          "bridge forwarder: one durable delivery queue per endpoint",
		Subjects:             []string{n.subjectPrefix + ">"},
		Retention:            jetstream.WorkQueuePolicy,
		Storage:              jetstream.FileStorage,
		Discard:              jetstream.DiscardNew,
		DiscardNewPerSubject: true,
		MaxMsgsPerSubject:    c.MaxQueuedPerEndpoint,
		MaxBytes:             c.QueueMaxBytes,
		Duplicates:           p.dedup,
	}
	st, err := js.CreateOrUpdateStream(ctx, scfg)
	if err != nil {
		return nil, nil, fmt.Errorf("forwarder: stream %s: %w", n.stream, err)
	}
	dead, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      n.deadBucket,
		Description: "bridge forwarder: dead deliveries, kept for manual retry",
		History:     1,
		TTL:         p.deadTTL,
		MaxBytes:    1 << 30,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("forwarder: kv %s: %w", n.deadBucket, err)
	}
	return st, dead, nil
}

// ackWait is how long a fetched delivery may stay unacked before JetStream
// hands it out again (after a crash): beyond one attempt; longer work calls
// InProgress.
func ackWait(timeout time.Duration) time.Duration { return timeout + 10*time.Second }

// consumerFor creates or updates an endpoint's durable consumer.
func consumerFor(ctx context.Context, st jetstream.Stream, n queueNames, id string, timeout time.Duration) (jetstream.Consumer, error) {
	c, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       n.consumer(id),
		Description:   "bridge forwarder deliveries of endpoint " + id,
		FilterSubject: n.subject(id),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait(timeout),
		MaxDeliver:    -1,
		MaxAckPending: 100_000,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("forwarder: consumer for endpoint %s: %w", id, err)
	}
	return c, nil
}

// isEndpointQueueFull reports a publish refused because the endpoint's own
// queue holds max_queued_per_endpoint deliveries.
func isEndpointQueueFull(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == 10077 && // JSStreamStoreFailedF
		strings.Contains(apiErr.Description, "maximum messages per subject")
}

// dueTimes are the times the deliveries a runner put back (NakWithDelay)
// come due. The runner fetches without waiting on the server, so without
// them it would find a retry only at its next idle poll, up to idlePoll
// late. The server hands a delivery out a little after the due time the
// runner computed (the nak is sent asynchronously; its timer may fire late
// under load), so a due time is kept for dueSlack after it passed and the
// runner looks again meanwhile at intervals growing with how overdue it is.
// Bounded: at most maxDueTimes distinct times (dueGrain apart); beyond,
// the latest are not noted and the idle poll finds those deliveries.
type dueTimes struct {
	mu sync.Mutex
	at []int64 // unix ns, ascending, multiples of dueGrain
}

const (
	maxDueTimes = 4096
	dueGrain    = 10 * time.Millisecond
	dueSlack    = idlePoll
)

// add notes t (rounded up to dueGrain) and reports whether it is now the
// earliest.
func (q *dueTimes) add(t time.Time) bool {
	g := int64(dueGrain)
	v := (t.UnixNano() + g - 1) / g * g
	q.mu.Lock()
	defer q.mu.Unlock()
	i, found := slices.BinarySearch(q.at, v)
	if found {
		return false
	}
	if len(q.at) >= maxDueTimes {
		if i == len(q.at) {
			return false
		}
		q.at = q.at[:len(q.at)-1]
	}
	q.at = slices.Insert(q.at, i, v)
	return i == 0
}

// wait returns how long a runner idle at now may wait before it looks at
// its queue again: until the next due time and, while one passed less than
// dueSlack ago, no longer than it has been overdue (at least dueGrain); at
// most idlePoll. It forgets due times more than dueSlack past.
func (q *dueTimes) wait(now time.Time) time.Duration {
	n := now.UnixNano()
	q.mu.Lock()
	defer q.mu.Unlock()
	old := 0
	for old < len(q.at) && n-q.at[old] > int64(dueSlack) {
		old++
	}
	q.at = slices.Delete(q.at, 0, old)
	w := idlePoll
	i, _ := slices.BinarySearch(q.at, n+1) // the first still to come
	if i < len(q.at) {
		w = min(w, time.Duration(q.at[i]-n))
	}
	if i > 0 {
		w = min(w, max(time.Duration(n-q.at[i-1]), dueGrain))
	}
	return w
}
