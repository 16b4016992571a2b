package natsrv

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// MaxPayload is the largest message the embedded server accepts.
const MaxPayload = 8 << 20

// maxReadyWait bounds how long Start waits for the embedded server when ctx
// has no earlier deadline.
const maxReadyWait = 30 * time.Second

// startEmbedded starts an in-process JetStream server storing under dir and
// waits until it takes connections with JetStream enabled, until ctx ends or
// maxReadyWait passes. On error nothing is left running.
func startEmbedded(ctx context.Context, dir string, logger *slog.Logger) (*server.Server, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create dir: %w", err)
	}
	s, err := server.NewServer(&server.Options{
		ServerName:      "bridge",
		DontListen:      true,
		JetStream:       true,
		StoreDir:        dir,
		SyncAlways:      true,
		MaxPayload:      MaxPayload,
		NoSigs:          true,
		NoSystemAccount: true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	s.SetLoggerV2(slogAdapter{logger.With("component", "nats-server")}, false, false, false)
	s.Start()
	stop := func(err error) (*server.Server, error) {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, err
	}
	deadline := time.Now().Add(maxReadyWait)
	for !s.ReadyForConnections(100 * time.Millisecond) {
		if ctx.Err() != nil {
			return stop(fmt.Errorf("embedded nats: not ready: %w", ctx.Err()))
		}
		if time.Now().After(deadline) {
			return stop(fmt.Errorf("embedded nats: not ready after %s", maxReadyWait))
		}
	}
	if !s.JetStreamEnabled() {
		return stop(fmt.Errorf("embedded nats: jetstream did not start (store dir %s)", dir))
	}
	return s, nil
}

type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Noticef(f string, v ...any) { a.l.Debug(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Warnf(f string, v ...any)   { a.l.Warn(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Fatalf(f string, v ...any)  { a.l.Error(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Errorf(f string, v ...any)  { a.l.Error(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Debugf(f string, v ...any)  { a.l.Debug(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Tracef(f string, v ...any)  { a.l.Debug(fmt.Sprintf(f, v...)) }
