package natsrv_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/natstest"
)

var quiet = natsrv.Settings{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}

func newServer(t *testing.T, cfg natsrv.Config) *natsrv.Server {
	t.Helper()
	s, err := natsrv.New(cfg, quiet)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s
}

func start(t *testing.T, s *natsrv.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

// deadURL is a loopback address where nothing listens (a port just freed).
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "nats://" + addr
}

// putGet writes a KV value through s and reads it back.
func putGet(t *testing.T, s *natsrv.Server, bucket, val string) {
	t.Helper()
	ctx := context.Background()
	kv, err := s.JetStream().CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket})
	if err != nil {
		t.Fatalf("kv bucket: %v", err)
	}
	if _, err := kv.Put(ctx, "k", []byte(val)); err != nil {
		t.Fatalf("put: %v", err)
	}
	got, err := kv.Get(ctx, "k")
	if err != nil || string(got.Value()) != val {
		t.Fatalf("get = %v, %v; want %q", got, err, val)
	}
}

func TestShutdownWithoutStartAndTwice(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "log")
	s, err := natsrv.New(natsrv.Config{Dir: dir}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("New touched the store dir: %v", err)
	}
	if s.JetStream() != nil || s.Conn() != nil {
		t.Fatal("JetStream/Conn set before Start")
	}
	if err := s.Ready(ctx); !errors.Is(err, natsrv.ErrUnavailable) {
		t.Fatalf("Ready before Start = %v, want ErrUnavailable", err)
	}
	for range 2 {
		if err := s.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown without Start: %v", err)
		}
	}
	if err := s.Start(ctx); !errors.Is(err, natsrv.ErrClosed) {
		t.Fatalf("Start after Shutdown = %v, want ErrClosed", err)
	}
	if err := s.Ready(ctx); !errors.Is(err, natsrv.ErrClosed) {
		t.Fatalf("Ready after Shutdown = %v, want ErrClosed", err)
	}
}

// The embedded server stores under dir, survives a restart over the same
// dir, and Shutdown (twice) closes the connection.
func TestEmbeddedStartStop(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := newServer(t, natsrv.Config{Dir: dir})
	start(t, s)
	if err := s.Start(ctx); err == nil {
		t.Fatal("second Start succeeded")
	}
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if got := s.Replicas(); got != 1 {
		t.Fatalf("embedded Replicas = %d, want 1", got)
	}
	putGet(t, s, "state", "v1")
	if _, err := os.Stat(filepath.Join(dir, "jetstream")); err != nil {
		t.Fatalf("no JetStream store under dir: %v", err)
	}
	nc := s.Conn()
	for range 2 {
		if err := s.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	}
	if !nc.IsClosed() {
		t.Fatalf("connection %s after Shutdown, want closed", nc.Status())
	}
	if err := s.Ready(ctx); !errors.Is(err, natsrv.ErrClosed) {
		t.Fatalf("Ready after Shutdown = %v, want ErrClosed", err)
	}

	s2 := newServer(t, natsrv.Config{Dir: dir})
	start(t, s2)
	kv, err := s2.JetStream().KeyValue(ctx, "state")
	if err != nil {
		t.Fatalf("bucket after restart: %v", err)
	}
	if got, err := kv.Get(ctx, "k"); err != nil || string(got.Value()) != "v1" {
		t.Fatalf("after restart get = %v, %v; want v1", got, err)
	}
}

// External mode against a second server over TCP, given as one URL or as a
// comma-separated list with dead entries, as NATS clients accept it.
func TestExternalURL(t *testing.T) {
	ext := natstest.StartServer(t)
	live := ext.NS.ClientURL()
	dead := deadURL(t)
	tests := []struct{ name, url string }{
		{"one url", live},
		{"first dead", dead + "," + live},
		{"dead around live, spaces, no scheme", dead + " , " + strings.TrimPrefix(live, "nats://") + ", " + dead},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := newServer(t, natsrv.Config{URL: tt.url, Dir: "/nonexistent/ignored"})
			start(t, s)
			if err := s.Ready(ctx); err != nil {
				t.Fatalf("Ready: %v", err)
			}
			if got := s.Conn().ConnectedUrl(); got != live {
				t.Fatalf("connected to %s, want %s", got, live)
			}
			if got := s.Replicas(); got != 1 {
				t.Fatalf("Replicas on one unclustered server = %d, want 1", got)
			}
			bucket := "ext" + string(rune('a'+i))
			putGet(t, s, bucket, tt.name)
			// The write is on the external server: a plain client sees it.
			kv, err := ext.Connect(t).KeyValue(ctx, bucket)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := kv.Get(ctx, "k"); err != nil || string(got.Value()) != tt.name {
				t.Fatalf("external server holds %v, %v; want %q", got, err, tt.name)
			}
			if err := s.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			if !ext.NS.Running() {
				t.Fatal("Shutdown stopped the external server")
			}
		})
	}
}

func TestExternalUnreachable(t *testing.T) {
	s := newServer(t, natsrv.Config{URL: deadURL(t) + "," + deadURL(t)})
	err := s.Start(context.Background())
	if !errors.Is(err, natsrv.ErrUnavailable) {
		t.Fatalf("Start with only dead servers = %v, want ErrUnavailable", err)
	}
	if s.Conn() != nil || s.JetStream() != nil {
		t.Fatal("failed Start left a connection")
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  natsrv.Config
		want []string // keys named in the error; empty = valid
	}{
		{"dir", natsrv.Config{Dir: "/tmp/x"}, nil},
		{"url", natsrv.Config{URL: "nats://127.0.0.1:4222"}, nil},
		{"url list", natsrv.Config{URL: "nats://a:4222, tls://b:4222,c:4222,"}, nil},
		{"neither", natsrv.Config{}, []string{"dir"}},
		{"bad scheme", natsrv.Config{URL: "nats://a:4222,http://b:80"}, []string{"url"}},
		{"no host", natsrv.Config{URL: "nats://:4222"}, []string{"url"}},
		{"only commas", natsrv.Config{URL: " , ,"}, []string{"url"}},
		{"replicas 3 on a cluster", natsrv.Config{URL: "a,b,c", Replicas: 3}, nil},
		{"replicas negative", natsrv.Config{URL: "a", Replicas: -1}, []string{"replicas"}},
		{"replicas over 5", natsrv.Config{URL: "a", Replicas: 7}, []string{"replicas"}},
		{"replicas on the embedded server", natsrv.Config{Dir: "/tmp/x", Replicas: 3}, []string{"replicas"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want errors naming %v", tt.want)
			}
			for _, key := range tt.want {
				if !strings.Contains(err.Error(), key+":") {
					t.Errorf("error does not name %s:\n%v", key, err)
				}
			}
			if _, err := natsrv.New(tt.cfg, quiet); err == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}

// On a real 3-server cluster the count is 3 even when only one server is
// configured (the others are advertised), and a bucket made with one
// replica is scaled to 3 by EnsureKeyValue.
func TestClusterReplicas(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	ctx := context.Background()
	one := newServer(t, natsrv.Config{URL: c.Nodes[1].ClientURL})
	start(t, one)
	if got := one.Replicas(); got != 3 {
		t.Fatalf("Replicas with one URL of a 3-server cluster = %d, want 3", got)
	}
	pinned := newServer(t, natsrv.Config{URL: c.URLs(), Replicas: 1})
	start(t, pinned)
	if got := pinned.Replicas(); got != 1 {
		t.Fatalf("Replicas with event_log.replicas 1 = %d, want 1", got)
	}
	js := one.JetStream()
	if _, err := natsrv.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{Bucket: "scaled", Replicas: 1}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := natsrv.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{Bucket: "scaled", Replicas: 3}, nil); err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "KV_scaled")
	if err != nil {
		t.Fatal(err)
	}
	if info := st.CachedInfo(); info.Config.Replicas != 3 || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("bucket after scaling: %d replicas configured, %d peers; want 3 and 2", info.Config.Replicas, len(info.Cluster.Replicas))
	}
}
