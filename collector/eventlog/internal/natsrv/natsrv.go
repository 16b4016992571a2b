// Package natsrv runs the embedded NATS server that holds the event log.
//
// The server listens on no port at all (DontListen): clients connect in
// process. JetStream stores under Dir and fsyncs every write before it
// acknowledges it (SyncAlways, i.e. sync_interval: always).
package natsrv

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// MaxPayload is the largest message the embedded server accepts.
const MaxPayload = 8 << 20

// Start starts an embedded JetStream server storing under dir and waits up to
// wait for it to be ready.
func Start(dir string, logger *slog.Logger, wait time.Duration) (*server.Server, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create log dir: %w", err)
	}
	opts := &server.Options{
		ServerName:      "bridge-eventlog",
		DontListen:      true,
		JetStream:       true,
		StoreDir:        dir,
		SyncAlways:      true,
		MaxPayload:      MaxPayload,
		NoSigs:          true,
		NoSystemAccount: true,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	s.SetLoggerV2(slogAdapter{logger.With("component", "nats")}, false, false, false)
	s.Start()
	if !s.ReadyForConnections(wait) {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("embedded nats: not ready after %s", wait)
	}
	if !s.JetStreamEnabled() {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("embedded nats: jetstream did not start (store dir %s)", dir)
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
