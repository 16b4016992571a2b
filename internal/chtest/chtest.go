// Package chtest runs a private ClickHouse server for tests: its own temp
// directory, random loopback ports, stopped when the test binary ends.
//
// It uses Debian's clickhouse-server (18.16 on these machines). When the
// binary is missing the test fails under CI=true and is skipped otherwise;
// `make test` installs it first (scripts/deps.sh).
package chtest

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/popinbridge/bridge/internal/chlocal"
)

// Server is one running clickhouse-server process.
type Server = chlocal.Server

var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
)

// Shared returns one server per test binary, started on first use. Tests
// should isolate themselves with their own database.
// Call StopShared from TestMain after m.Run.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	sharedOnce.Do(func() {
		var dir string
		dir, sharedErr = os.MkdirTemp("", "chtest-")
		if sharedErr == nil {
			shared, sharedErr = chlocal.Start(dir)
		}
	})
	if sharedErr != nil {
		missing(tb, sharedErr)
	}
	return shared
}

// StopShared stops the shared server, if any, and removes its directory.
func StopShared() {
	if shared != nil {
		shared.Stop()
		os.RemoveAll(shared.Dir)
	}
}

// New starts a server of the test's own, stopped at cleanup. Use it when the
// test stops or restarts ClickHouse.
func New(tb testing.TB) *Server {
	tb.Helper()
	s, err := chlocal.Start(tb.TempDir())
	if err != nil {
		missing(tb, err)
	}
	tb.Cleanup(s.Stop)
	return s
}

func missing(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("clickhouse: %v (run scripts/deps.sh to install clickhouse-server and zookeeper)", err)
	}
	tb.Skipf("clickhouse not available: %v (run scripts/deps.sh)", err)
}

// Cluster starts a ZooKeeper (Debian's zookeeper package) and n ClickHouse
// servers forming cluster name — one shard of n replicas — all stopped at
// cleanup. Without ZooKeeper or ClickHouse the test fails under CI=true and
// is skipped otherwise.
func Cluster(tb testing.TB, name string, n int) (*chlocal.ZooKeeper, []*Server) {
	tb.Helper()
	return Shards(tb, name, n)
}

// Shards is Cluster with len(replicas) shards, shard i of replicas[i]
// servers; the servers are returned shard by shard (chlocal.StartShards).
func Shards(tb testing.TB, name string, replicas ...int) (*chlocal.ZooKeeper, []*Server) {
	tb.Helper()
	return ShardsWith(tb, name, chlocal.Options{}, replicas...)
}

// ShardsWith is Shards with o's Users on every server
// (chlocal.StartShardsWith).
func ShardsWith(tb testing.TB, name string, o chlocal.Options, replicas ...int) (*chlocal.ZooKeeper, []*Server) {
	tb.Helper()
	dir := tb.TempDir()
	zk, err := chlocal.StartZooKeeper(filepath.Join(dir, "zk"))
	if err != nil {
		missing(tb, err)
	}
	tb.Cleanup(zk.Stop)
	servers, err := chlocal.StartShardsWith(dir, name, zk.Addr(), o, replicas...)
	if err != nil {
		missing(tb, err)
	}
	for _, s := range servers {
		tb.Cleanup(s.Stop)
	}
	return zk, servers
}
