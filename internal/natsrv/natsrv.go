// Package natsrv is the process's NATS: one connection, and the JetStream
// context on it, shared by every part that keeps state in JetStream (event
// log, forwarder, control plane). It is started before those parts and shut
// down after them.
//
// By default it runs an embedded nats-server that listens on no port at all
// (DontListen; clients connect in process), stores JetStream under
// Config.Dir and fsyncs every write before it acknowledges it (SyncAlways,
// i.e. sync_interval: always). With Config.URL it connects to external
// servers instead.
package natsrv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/promreg"
)

var (
	// ErrUnavailable means NATS cannot be used right now (not started, or
	// disconnected and reconnecting).
	ErrUnavailable = errors.New("nats unavailable")
	// ErrClosed is returned after Shutdown.
	ErrClosed = errors.New("nats closed")
)

// Settings are the code-supplied dependencies of a Server.
type Settings struct {
	Logger *slog.Logger // nil: slog.Default()
	// Name is the client connection's name as servers report it. Default "bridge".
	Name string
	// Registerer takes the metrics (quarantine.go); nil: not registered.
	Registerer prometheus.Registerer
	_          struct{}
}

type lifecycle int

const (
	stateNew lifecycle = iota
	stateStarted
	stateClosed
)

// Server is the process's NATS connection, to the embedded server or to
// external ones. Create it with New, then Start; JetStream and Conn are
// valid from Start until Shutdown.
type Server struct {
	cfg    Config
	urls   []string // external servers; nil for the embedded one
	name   string
	logger *slog.Logger
	// quarantined counts consumers moved aside at Start (quarantine.go).
	quarantined prometheus.Counter
	// streamConfigs counts stream configs moved aside at Start
	// (quarantine_stream.go).
	streamConfigs prometheus.Counter

	mu    sync.Mutex
	state lifecycle
	srv   *server.Server // embedded server; nil with external URLs
	nc    *nats.Conn
	js    jetstream.JetStream
	// replicas of every stream and bucket, chosen at Start (replicas.go).
	replicas int
}

// New checks cfg and returns a Server that is not started: no file, socket
// or goroutine is touched.
func New(cfg Config, set Settings) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, name: set.Name, logger: set.Logger, quarantined: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "bridge_nats_quarantined_consumers_total",
		Help: "JetStream consumers of the embedded server moved aside at start because their config file was damaged; their owners recreated them.",
	})}
	s.streamConfigs = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "bridge_nats_quarantined_stream_configs_total",
		Help: "JetStream stream config files of the embedded server moved aside at start because the server would not load them; the stream's owner created it again over its stored messages.",
	})
	if err := promreg.Register(set.Registerer, s.quarantined, s.streamConfigs); err != nil {
		return nil, fmt.Errorf("natsrv: %w", err)
	}
	if s.name == "" {
		s.name = "bridge"
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.logger = s.logger.With("component", "nats")
	if !cfg.Embedded() {
		s.urls, _ = serverURLs(cfg.URL) // checked by Validate
	}
	return s, nil
}

// Start starts the embedded server and connects to it, or connects to the
// first reachable external server. It fails (leaving nothing running) when
// no server can be reached or JetStream is not available. Start after
// Shutdown returns ErrClosed.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case stateStarted:
		return errors.New("natsrv: already started")
	case stateClosed:
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("natsrv: start: %w", err)
	}
	if err := s.start(ctx); err != nil {
		closeAll(s.nc, s.srv)
		s.nc, s.srv, s.js = nil, nil, nil
		return err
	}
	s.state = stateStarted
	return nil
}

func (s *Server) start(ctx context.Context) error {
	opts := []nats.Option{
		nats.Name(s.name),
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				s.logger.Warn("nats disconnected; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			s.logger.Info("nats reconnected", "server", nc.ConnectedUrlRedacted())
		}),
	}
	var err error
	if s.urls == nil {
		n, err := quarantineBadStreamConfigs(s.cfg.Dir, s.logger)
		s.streamConfigs.Add(float64(n))
		if err != nil {
			return fmt.Errorf("natsrv: %w", err)
		}
		n, err = quarantineBadConsumers(s.cfg.Dir, s.logger)
		s.quarantined.Add(float64(n))
		if err != nil {
			return fmt.Errorf("natsrv: %w", err)
		}
		if s.srv, err = startEmbedded(ctx, s.cfg.Dir, s.logger); err != nil {
			return fmt.Errorf("natsrv: %w", err)
		}
		s.nc, err = nats.Connect("", append(opts, nats.InProcessServer(s.srv))...)
	} else {
		s.nc, err = nats.Connect(strings.Join(s.urls, ","), append(opts, nats.RetryOnFailedConnect(false))...)
	}
	if err != nil {
		return fmt.Errorf("natsrv: connect: %w: %v", ErrUnavailable, err)
	}
	if s.js, err = jetstream.New(s.nc); err != nil {
		return fmt.Errorf("natsrv: jetstream: %w", err)
	}
	if _, err := s.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("natsrv: %w: jetstream not available on %s: %v", ErrUnavailable, s.nc.ConnectedUrlRedacted(), err)
	}
	var why string
	s.replicas, why = chooseReplicas(s.cfg, s.nc)
	s.logger.Info("jetstream streams and buckets are replicated", "replicas", s.replicas, "because", why)
	return nil
}

// Replicas is how many copies of every stream and KV bucket the parts
// create (Config.Replicas, or chosen at Start from the cluster's size).
// 1 before Start.
func (s *Server) Replicas() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return max(s.replicas, 1)
}

// Embedded reports whether the server runs inside this process, listening on
// no port: then only this process can reach it.
func (s *Server) Embedded() bool { return s.urls == nil }

// JetStream is the JetStream context of the connection, for other parts'
// streams and KV buckets. Nil before Start.
func (s *Server) JetStream() jetstream.JetStream {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.js
}

// Conn is the NATS connection. Nil before Start; closed by Shutdown.
func (s *Server) Conn() *nats.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nc
}

// Ready reports whether NATS is connected and JetStream answers (for
// /readyz). Errors wrap ErrUnavailable or ErrClosed.
func (s *Server) Ready(ctx context.Context) error {
	s.mu.Lock()
	state, nc, js := s.state, s.nc, s.js
	s.mu.Unlock()
	switch state {
	case stateNew:
		return fmt.Errorf("natsrv: %w: not started", ErrUnavailable)
	case stateClosed:
		return ErrClosed
	}
	if !nc.IsConnected() {
		return fmt.Errorf("natsrv: %w: connection %s", ErrUnavailable, nc.Status())
	}
	if _, err := js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("natsrv: %w: jetstream: %v", ErrUnavailable, err)
	}
	return nil
}

// Shutdown closes the connection, then stops the embedded server (which
// flushes its store). When ctx ends first it returns ctx's error and the
// stop finishes in the background. Safe without Start and twice.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateStarted {
		s.state = stateClosed
		return nil
	}
	s.state = stateClosed
	done := make(chan struct{})
	go func(nc *nats.Conn, srv *server.Server) {
		defer close(done)
		closeAll(nc, srv)
	}(s.nc, s.srv)
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("natsrv: shutdown: %w", ctx.Err())
	}
}

// closeAll closes nc, then stops srv; either may be nil.
func closeAll(nc *nats.Conn, srv *server.Server) {
	if nc != nil {
		_ = nc.FlushTimeout(time.Second)
		nc.Close()
	}
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}
