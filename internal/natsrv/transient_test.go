package natsrv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"no responders, wrapped", fmt.Errorf("count site bytes: %w", nats.ErrNoResponders), true},
		{"request timeout", nats.ErrTimeout, true},
		{"no stream response", jetstream.ErrNoStreamResponse, true},
		{"deadline", context.DeadlineExceeded, true},
		{"503 from the API", &jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}, true},
		{"stream not found", jetstream.ErrStreamNotFound, false},
		{"400 from the API", &jetstream.APIError{Code: 400, ErrorCode: 10058, Description: "stream name already in use"}, false},
		{"cancelled", context.Canceled, false},
		{"other", errors.New("boom"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Transient(tc.err); got != tc.want {
				t.Fatalf("Transient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestStartRetrying(t *testing.T) {
	permanent := errors.New("bad config")
	for _, tc := range []struct {
		name      string
		failures  []error // returned by the first tries, then nil
		wantErr   error
		wantCalls int
	}{
		{"first try", nil, nil, 1},
		{"two transient failures", []error{nats.ErrNoResponders, jetstream.ErrNoStreamResponse}, nil, 3},
		{"permanent stops at once", []error{permanent, nil}, permanent, 1},
		{"transient then permanent", []error{nats.ErrTimeout, permanent}, permanent, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := StartRetrying(context.Background(), discard, "part", func(context.Context) error {
				calls++
				if calls <= len(tc.failures) {
					return tc.failures[calls-1]
				}
				return nil
			})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if calls != tc.wantCalls {
				t.Fatalf("start called %d times, want %d", calls, tc.wantCalls)
			}
		})
	}
}

func TestStartRetryingStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := StartRetrying(ctx, discard, "part", func(context.Context) error {
		calls++
		if calls == 2 {
			cancel()
		}
		return nats.ErrNoResponders
	})
	if !errors.Is(err, nats.ErrNoResponders) || calls != 2 {
		t.Fatalf("err = %v after %d calls, want no responders after 2 (the call that saw ctx cancelled)", err, calls)
	}
}
