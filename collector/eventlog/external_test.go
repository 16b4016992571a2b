package eventlog

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// TestExternalURL runs the log against a NATS server reached over TCP on
// 127.0.0.1, configured as an operator should: JetStream with
// sync_interval always.
func TestExternalURL(t *testing.T) {
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		SyncAlways: true, NoSigs: true, NoLog: true, ServerName: "external",
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	l := openLog(t, testSetup{Config: NewDefaultConfig(), url: s.ClientURL()})
	r, err := l.Reader("sink")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(context.Background(), events("e1", "e2", "e1")); err != nil {
		t.Fatal(err)
	}
	if err := l.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := readAll(t, r, 2, 5*time.Second)
	if len(seen) != 2 || seen["e1"] != 1 || seen["e2"] != 1 {
		t.Fatalf("read %v", seen)
	}
	assertNoMore(t, l, r)
}
