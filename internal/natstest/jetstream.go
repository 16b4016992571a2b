// Package natstest gives tests a real JetStream, shut down at test cleanup:
// a nats-server on a random loopback port with its store in a temp directory
// (StartServer, JetStream), the bridge's own NATS part over a directory
// (Embedded), or a cluster of real nats-server processes that can be
// killed with SIGKILL (StartCluster).
package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Server is one embedded nats-server with JetStream.
type Server struct {
	NS *server.Server
}

// StartServer starts a server stopped at cleanup.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: tb.TempDir(),
		NoLog: true, NoSigs: true,
	})
	if err != nil {
		tb.Fatalf("nats-server: %v", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats-server not ready")
	}
	tb.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return &Server{NS: ns}
}

// Connect returns a JetStream client of the server, closed at cleanup. Two
// clients behave like two bridge nodes sharing one bucket.
func (s *Server) Connect(tb testing.TB) jetstream.JetStream {
	tb.Helper()
	nc, err := nats.Connect(s.NS.ClientURL())
	if err != nil {
		tb.Fatalf("nats connect: %v", err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatalf("jetstream: %v", err)
	}
	return js
}

// JetStream starts a server and returns one client of it.
func JetStream(tb testing.TB) jetstream.JetStream {
	tb.Helper()
	return StartServer(tb).Connect(tb)
}
