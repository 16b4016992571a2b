package natstest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/natsrv"
)

// Embedded starts the bridge's own NATS part (natsrv) with its embedded
// server storing under dir, and shuts it down at cleanup. Shut it down
// earlier to reopen dir with a new one (Shutdown is safe twice).
func Embedded(tb testing.TB, dir string) *natsrv.Server {
	tb.Helper()
	s, err := natsrv.New(natsrv.Config{Dir: dir}, natsrv.Settings{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		tb.Fatalf("natsrv: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Start(ctx); err != nil {
		tb.Fatalf("natsrv: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			tb.Errorf("natsrv shutdown: %v", err)
		}
	})
	return s
}
