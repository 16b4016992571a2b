package natsrv

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/internal/retry"
)

// Transient reports whether err is what JetStream answers while a cluster
// is forming or electing a leader (no server answered, a request timed
// out, a 503 from the JetStream API): the same request is expected to
// succeed shortly. Every other error, a nil one included, is not.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var api *jetstream.APIError
	return errors.As(err, &api) && api.Code == http.StatusServiceUnavailable
}

// MaxStartWait bounds how long StartRetrying keeps retrying transient
// failures: long enough for a cluster's servers to elect leaders after
// they all start at once (or after a stream's replica count changed).
const MaxStartWait = 60 * time.Second

// StartRetrying runs start until it succeeds, fails with an error that is
// not Transient, ctx ends or MaxStartWait has passed; each try gets its own
// deadline. start must leave nothing behind when it fails, so that the
// next try starts clean. what names the part in the log line written on
// each retry.
func StartRetrying(ctx context.Context, logger *slog.Logger, what string, start func(context.Context) error) error {
	deadline := time.Now().Add(MaxStartWait)
	wait := retry.Backoff{Min: 200 * time.Millisecond, Max: 5 * time.Second}
	for {
		err := start(ctx)
		if err == nil || !Transient(err) || ctx.Err() != nil {
			return err
		}
		pause := wait.Next()
		if time.Now().Add(pause).After(deadline) {
			return err
		}
		orDefault(logger).Warn("starting needs the NATS cluster, which is not ready yet; retrying", "part", what, "in", pause, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}
