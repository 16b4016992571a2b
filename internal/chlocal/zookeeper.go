package chlocal

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ZooKeeperJar is where Debian's zookeeper package installs the server; its
// manifest's Class-Path names the libraries it needs.
const ZooKeeperJar = "/usr/share/java/zookeeper.jar"

// ZooKeeper is one standalone ZooKeeper server process (Debian's
// `zookeeper` package run as a plain JVM process with a generated zoo.cfg),
// for ClickHouse clusters in tests.
type ZooKeeper struct {
	Dir  string
	Port int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// Addr is the client address, "127.0.0.1:PORT".
func (z *ZooKeeper) Addr() string { return fmt.Sprintf("127.0.0.1:%d", z.Port) }

// ZooKeeperAvailable reports why a ZooKeeper server cannot be started here,
// or nil when it can.
func ZooKeeperAvailable() error {
	if _, err := os.Stat(ZooKeeperJar); err != nil {
		return fmt.Errorf("zookeeper: %s missing (apt-get install zookeeper)", ZooKeeperJar)
	}
	if _, err := exec.LookPath("java"); err != nil {
		return fmt.Errorf("zookeeper: java not found in PATH")
	}
	return nil
}

// StartZooKeeper starts a standalone server whose data lives in dir, on a
// free loopback port, and waits until it serves clients.
func StartZooKeeper(dir string) (*ZooKeeper, error) {
	if err := ZooKeeperAvailable(); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	z := &ZooKeeper{Dir: dir, Port: port}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf(`tickTime=500
initLimit=10
syncLimit=5
dataDir=%s
clientPortAddress=127.0.0.1
clientPort=%d
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=srvr
`, filepath.Join(dir, "data"), port)
	cfgPath := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	cp := ZooKeeperJar
	// No logging backend: slf4j-nop keeps the server quiet when installed.
	if _, err := os.Stat("/usr/share/java/slf4j-nop.jar"); err == nil {
		cp += ":/usr/share/java/slf4j-nop.jar"
	}
	cmd := exec.Command("java", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
		"-Dzookeeper.jmx.log4j.disable=true", "-cp", cp,
		"org.apache.zookeeper.server.ZooKeeperServerMain", cfgPath)
	cmd.Dir = dir
	out, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start zookeeper: %w", err)
	}
	z.exited = make(chan struct{})
	go func() { _ = cmd.Wait(); out.Close(); close(z.exited) }()
	z.cmd = cmd
	if err := z.waitReady(60 * time.Second); err != nil {
		z.Stop()
		logs, _ := os.ReadFile(filepath.Join(dir, "stdout.log"))
		return nil, fmt.Errorf("zookeeper did not become ready: %w\n%s", err, tail(string(logs), 2000))
	}
	return z, nil
}

func (z *ZooKeeper) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := fmt.Errorf("no answer")
	for time.Now().Before(deadline) {
		select {
		case <-z.exited:
			return fmt.Errorf("server exited: %v", last)
		default:
		}
		if ok, err := z.serving(); ok {
			return nil
		} else if err != nil {
			last = err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return last
}

// serving asks the server's status ("srvr"): it names its mode only once
// it serves client sessions ("ruok" answers earlier, while the database is
// still loading, and ClickHouse 18.16 crashes when its first session fails).
func (z *ZooKeeper) serving() (bool, error) {
	c, err := net.DialTimeout("tcp", z.Addr(), 500*time.Millisecond)
	if err != nil {
		return false, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("srvr")); err != nil {
		return false, err
	}
	out, err := io.ReadAll(io.LimitReader(c, 4096))
	if err != nil {
		return false, err
	}
	if !strings.Contains(string(out), "Mode: standalone") {
		return false, fmt.Errorf("not serving yet: %q", strings.TrimSpace(string(out)))
	}
	return true, nil
}

// Stop terminates the server (SIGTERM, then SIGKILL after 10s). Safe twice.
func (z *ZooKeeper) Stop() {
	z.mu.Lock()
	cmd := z.cmd
	z.cmd = nil
	z.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-z.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-z.exited
	}
}
