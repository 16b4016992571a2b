package deadletter

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/popinbridge/bridge/forwarder/queue"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/natstest"
)

func msg(ep, id string) *queue.Message {
	return &queue.Message{DeliveryID: queue.DeliveryID(ep, id), WebhookID: id, EndpointID: ep,
		Event: event.Event{ID: id, Name: "popin_captured"}, PriorAttempts: 2, NotBefore: time.Now().Add(time.Hour), Handoff: true}
}

func TestPutListRetry(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, natstest.JetStream(t), "T", time.Hour, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Second)
	replayed := msg("a", "e1") // a replay that died: its retry is a manual retry
	replayed.Manual, replayed.Replay = true, true
	for _, m := range []*queue.Message{replayed, msg("a", "e2"), msg("b", "e3")} {
		if err := s.Put(ctx, m, 3, 500, "retries exhausted", at); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		ep    string
		limit int
		want  int
	}{{"", 0, 3}, {"a", 0, 2}, {"b", 0, 1}, {"", 2, 2}, {"nope", 0, 0}} {
		got, err := s.List(ctx, tc.ep, tc.limit)
		if err != nil || len(got) != tc.want {
			t.Errorf("List(%q, %d) = %d letters, %v; want %d", tc.ep, tc.limit, len(got), err, tc.want)
		}
	}
	id := queue.DeliveryID("a", "e1")
	// A failed requeue keeps the letter.
	if err := s.Retry(ctx, id, func(*queue.Message, string) error { return errors.New("queue down") }); err == nil {
		t.Fatal("requeue error not returned")
	}
	var got *queue.Message
	var gotID string
	if err := s.Retry(ctx, id, func(m *queue.Message, msgID string) error { got, gotID = m, msgID; return nil }); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.PriorAttempts != 3 || !got.Manual || got.Replay || !got.NotBefore.IsZero() || got.Handoff || gotID != id+"-r3" {
		t.Fatalf("requeued %+v as %s; want attempt 4, manual (not a replay), due now, no hand-off, id %s-r3", got, gotID, id)
	}
	if err := s.Retry(ctx, id, func(*queue.Message, string) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second retry = %v, want ErrNotFound", err)
	}
	if left, _ := s.List(ctx, "a", 0); len(left) != 1 {
		t.Fatalf("after retry endpoint a has %d letters, want 1", len(left))
	}
}
