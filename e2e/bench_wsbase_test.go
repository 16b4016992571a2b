package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wsBaselineEnv makes the test binary serve the baseline instead of running
// tests (see TestMain): a bare gorilla/websocket server that decodes each
// batch and acks every id, storing nothing, in a process of its own so that
// its memory is measured like the bridge's.
const wsBaselineEnv = "BRIDGE_BENCH_WS_BASELINE"

// serveWSBaseline listens on 127.0.0.1, prints "ADDR host:port" and serves
// until killed.
func serveWSBaseline() {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var batch struct {
				Batch []struct {
					ID string `json:"id"`
				} `json:"batch"`
			}
			if json.Unmarshal(b, &batch) != nil {
				return
			}
			ids := make([]string, len(batch.Batch))
			for i, e := range batch.Batch {
				ids[i] = e.ID
			}
			out, _ := json.Marshal(map[string][]string{"ack": ids})
			if ws.WriteMessage(websocket.TextMessage, out) != nil {
				return
			}
		}
	})
	serveChild(h)
}

// serveChild is a benchmark child server's main: it listens on 127.0.0.1,
// prints "ADDR host:port" and serves h until killed.
func serveChild(h http.Handler) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		childFail(err)
	}
	fmt.Println("ADDR", ln.Addr())
	_ = http.Serve(ln, h)
}

// childFail ends a benchmark child server that could not start; the parent
// reads the line instead of an address.
func childFail(err error) {
	fmt.Println("ERR", err)
	os.Exit(1)
}

// startWSBaseline runs serveWSBaseline in a child process; it returns the
// child's pid and address and kills it at cleanup.
func startWSBaseline(t *testing.T) (int, string) {
	t.Helper()
	return startChildServer(t, wsBaselineEnv+"=1")
}

// startChildServer runs this test binary as a benchmark's server (TestMain
// dispatches on env, NAME=value); the child prints "ADDR host:port". It
// returns the child's pid and address and kills it at cleanup.
func startChildServer(t *testing.T, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ADDR ")
	if err != nil || !ok {
		t.Fatalf("%s server: %q, %v", env, line, err)
	}
	return cmd.Process.Pid, addr
}

// raiseFileLimit lifts this process's open-file limit to its hard limit and
// fails the test if that leaves fewer than need descriptors.
func raiseFileLimit(t *testing.T, need uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur < need {
		t.Skipf("open-file limit %d is below the %d this benchmark needs (ulimit -n)", lim.Cur, need)
	}
}

// sourceAddr spreads connections over 127.x source addresses, perIP each,
// so that per-IP connection caps hold.
func sourceAddr(i, perIP int) *net.TCPAddr {
	ip := i / perIP
	return &net.TCPAddr{IP: net.IPv4(127, 1+byte(ip/250), byte(ip%250), 1)}
}

// dialIdle opens n WebSocket connections to url from spread source
// addresses, 16 dials at a time; the caller closes them.
func dialIdle(t *testing.T, url string, n, perIP int) []*websocket.Conn {
	t.Helper()
	conns := make([]*websocket.Conn, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	next := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				d := websocket.Dialer{HandshakeTimeout: 30 * time.Second,
					NetDialContext: (&net.Dialer{LocalAddr: sourceAddr(i, perIP), Timeout: 30 * time.Second}).DialContext}
				c, _, err := d.DialContext(context.Background(), url, nil)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("connection %d: %w", i, err)
				}
				conns[i] = c
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		closeAll(conns)
		t.Fatal(firstErr)
	}
	return conns
}

func closeAll(conns []*websocket.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}
