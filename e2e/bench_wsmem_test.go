package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chtest"
)

// idleBytesPerConn opens n idle WebSocket connections to url and returns
// how much the resident memory of process pid grew per connection.
func idleBytesPerConn(t *testing.T, pid int, url string, n, perIP int) float64 {
	t.Helper()
	before := sampleProc(t, pid).rss
	conns := dialIdle(t, url, n, perIP)
	defer closeAll(conns)
	time.Sleep(2 * time.Second) // the server's per-connection setup finishes
	after := sampleProc(t, pid).rss
	return float64(after-before) / float64(n)
}

// TestBenchWSIdleMemory: resident memory per idle WebSocket connection of
// the bridge (10 000 connections, 25 per 127.x source address so the
// per-IP cap holds) against a bare gorilla/websocket server that decodes
// and acks, in a process of its own, measured the same way in the same run.
func TestBenchWSIdleMemory(t *testing.T) {
	skipUnlessBench(t)
	const n, perIP = 10000, 25
	raiseFileLimit(t, n+2000)
	srv := chtest.Shared(t)
	p := startBridgeBin(t, benchBinary(t), fmt.Sprintf(`log_level: warn
ingest:
  websocket: {max_connections: %d}
clickhouse: {addr: %q, database: %q}
sites:
  - {id: acme, write_key: pk_acme, origins: ["*"]}
`, 2*n, srv.Addr(), uniqueDB("bench_wsmem")))
	bridge := idleBytesPerConn(t, p.cmd.Process.Pid, "ws://"+p.addr+"/v1/ws?key=pk_acme", n, perIP)
	pid, addr := startWSBaseline(t)
	base := idleBytesPerConn(t, pid, "ws://"+addr+"/", n, perIP)
	fmt.Printf("BENCH ws idle memory: bridge %.1f KiB/connection, bare gorilla server %.1f KiB/connection, ratio %.2f (goal <= 1.5; %d connections)\n",
		bridge/1024, base/1024, bridge/base, n)
}
