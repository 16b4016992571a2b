package natstest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is a JetStream cluster of real nats-server processes on
// 127.0.0.1 with random ports, each fsyncing every write
// (sync_interval: always). A process can be killed with SIGKILL and
// restarted over its store. Everything is stopped at test cleanup.
//
// The server binary is built from the nats-server module this project
// already depends on (the same version as the embedded server), so tests
// need nothing installed but Go, and the version is one that knows
// sync_interval: always (Debian's 2.9 does not).
type Cluster struct {
	tb    testing.TB
	Nodes []*Node
}

// Node is one server of a Cluster.
type Node struct {
	Name      string
	ClientURL string
	bin, conf string
	logPath   string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// serverBinary builds the nats-server command into a test temp dir (the
// go build cache makes a rebuild take seconds). A failed build fails the
// test, never skips it: the cluster tests run wherever the module builds.
func serverBinary(tb testing.TB) string {
	tb.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(tb.TempDir(), "nats-server")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/nats-io/nats-server/v2")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		tb.Fatalf("natstest: go build nats-server: %v\n%s", err, out.String())
	}
	return bin
}

// StartCluster starts n servers forming one JetStream cluster and waits
// until JetStream answers through each of them. A cluster whose servers
// elect no meta leader within formTimeout (it happens rarely under load,
// e.g. when another process took a port between freePorts and the server's
// listen) is stopped, logged and started again on fresh ports and
// directories, up to formAttempts times.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	bin := serverBinary(tb)
	for attempt := 1; ; attempt++ {
		c, err := startCluster(tb, bin, n)
		if err == nil {
			return c
		}
		for _, nd := range c.Nodes {
			nd.kill()
		}
		if attempt == formAttempts {
			tb.Fatalf("natstest: no cluster after %d attempts: %v", attempt, err)
		}
		tb.Logf("natstest: cluster did not form (attempt %d of %d), starting a new one: %v", attempt, formAttempts, err)
	}
}

const (
	formAttempts = 3
	formTimeout  = 30 * time.Second
)

// startCluster is one attempt of StartCluster; on error the caller kills
// the returned cluster's nodes.
func startCluster(tb testing.TB, bin string, n int) (*Cluster, error) {
	c := &Cluster{tb: tb}
	clientPorts, routePorts := freePorts(tb, n), freePorts(tb, n)
	var routes []string
	for _, p := range routePorts {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
	}
	base := tb.TempDir()
	for i := range n {
		name := fmt.Sprintf("n%d", i+1)
		dir := filepath.Join(base, name)
		if err := os.MkdirAll(dir, 0o750); err != nil {
			tb.Fatal(err)
		}
		conf := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
max_payload: 8MB
jetstream {
  store_dir: %q
  sync_interval: always
}
cluster {
  name: bridge-test
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, name, clientPorts[i], filepath.Join(dir, "store"), routePorts[i], strings.Join(routes, ", "))
		confPath := filepath.Join(dir, "nats.conf")
		if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
			tb.Fatal(err)
		}
		c.Nodes = append(c.Nodes, &Node{Name: name, ClientURL: fmt.Sprintf("nats://127.0.0.1:%d", clientPorts[i]),
			bin: bin, conf: confPath, logPath: filepath.Join(dir, "server.log")})
	}
	tb.Cleanup(func() {
		for _, nd := range c.Nodes {
			nd.kill()
		}
		if tb.Failed() {
			for _, nd := range c.Nodes {
				tb.Logf("--- %s log (tail):\n%s", nd.Name, tail(nd.logPath, 30))
			}
		}
	})
	for _, nd := range c.Nodes {
		if err := nd.start(); err != nil {
			return c, fmt.Errorf("start %s: %w", nd.Name, err)
		}
	}
	for _, nd := range c.Nodes {
		if err := jetStreamReady(nd, formTimeout); err != nil {
			return c, fmt.Errorf("%w\n%s", err, tail(nd.logPath, 30))
		}
	}
	return c, nil
}

// URLs is every server's client URL, comma-separated (event_log.url).
func (c *Cluster) URLs() string {
	var out []string
	for _, nd := range c.Nodes {
		out = append(out, nd.ClientURL)
	}
	return strings.Join(out, ",")
}

// Node returns the node called name (as streams name their leader).
func (c *Cluster) Node(name string) *Node {
	for _, nd := range c.Nodes {
		if nd.Name == name {
			return nd
		}
	}
	c.tb.Fatalf("natstest: no node %q", name)
	return nil
}

// Kill sends SIGKILL to the node and waits for it to exit.
func (c *Cluster) Kill(nd *Node) { nd.kill() }

// Restart starts a killed node again over its store and waits until
// JetStream answers through it.
func (c *Cluster) Restart(nd *Node) {
	c.tb.Helper()
	if err := nd.start(); err != nil {
		c.tb.Fatalf("natstest: restart %s: %v", nd.Name, err)
	}
	c.waitJetStream(nd)
}

// Connect returns a JetStream client of the node only (no failover),
// closed at cleanup.
func (c *Cluster) Connect(nd *Node) jetstream.JetStream {
	c.tb.Helper()
	nc, err := nats.Connect(nd.ClientURL, nats.NoReconnect())
	if err != nil {
		c.tb.Fatalf("natstest: connect %s: %v", nd.Name, err)
	}
	c.tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		c.tb.Fatal(err)
	}
	return js
}

// waitJetStream polls until the node answers JetStream account info,
// which needs the cluster's meta leader.
func (c *Cluster) waitJetStream(nd *Node) {
	c.tb.Helper()
	if err := jetStreamReady(nd, 60*time.Second); err != nil {
		c.tb.Fatalf("natstest: %v\n%s", err, tail(nd.logPath, 30))
	}
}

// jetStreamReady polls nd until JetStream answers, for at most wait.
func jetStreamReady(nd *Node, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	var last error
	for time.Now().Before(deadline) {
		nc, err := nats.Connect(nd.ClientURL, nats.NoReconnect(), nats.Timeout(time.Second))
		if err == nil {
			js, _ := jetstream.New(nc)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err = js.AccountInfo(ctx)
			cancel()
			nc.Close()
			if err == nil {
				return nil
			}
		}
		last = err
		time.Sleep(100 * time.Millisecond) // poll interval
	}
	return fmt.Errorf("%s: jetstream not ready: %v", nd.Name, last)
}

func (nd *Node) start() error {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.cmd != nil {
		return fmt.Errorf("%s is running", nd.Name)
	}
	logf, err := os.OpenFile(nd.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(nd.bin, "-c", nd.conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(exited) }()
	nd.cmd, nd.exited = cmd, exited
	return nil
}

func (nd *Node) kill() {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.cmd == nil {
		return
	}
	_ = nd.cmd.Process.Signal(syscall.SIGKILL)
	<-nd.exited
	nd.cmd = nil
}

// freePorts reserves n distinct loopback ports and releases them for the
// servers to bind (a small window in which another process could take one).
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

func tail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}
