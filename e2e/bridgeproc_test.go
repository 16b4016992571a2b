package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

// bridgeProc is the real `bridge serve` binary run as a child process, so a
// test can SIGKILL and restart it.
type bridgeProc struct {
	t      *testing.T
	bin    string
	cfg    string
	addr   string
	cmd    *exec.Cmd
	output *testkit.LockedBuffer // the child's output, written by exec's copying goroutine
	mu     sync.Mutex
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// bridgeBinary builds ./bridge once per test binary.
func bridgeBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Dir(filepath.Dir(file))
		dir, err := os.MkdirTemp("", "bridge-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "bridge")
		cmd := exec.Command("go", "build", "-race", "-o", buildPath, "./bridge")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// startBridge writes cfgYAML (which must contain "listen: LISTEN" placeholders
// resolved here) and starts the binary, waiting for /readyz.
func startBridge(t *testing.T, cfgYAML string) *bridgeProc {
	t.Helper()
	return startBridgeBin(t, bridgeBinary(t), cfgYAML)
}

// startBridgeBin is startBridge with the binary at bin.
func startBridgeBin(t *testing.T, bin, cfgYAML string) *bridgeProc {
	t.Helper()
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := filepath.Join(dir, "bridge.yaml")
	body := fmt.Sprintf("listen: %q\ndata_dir: %q\n%s", addr, filepath.Join(dir, "data"), cfgYAML)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &bridgeProc{t: t, bin: bin, cfg: cfg, addr: addr}
	p.start(bin)
	t.Cleanup(p.stop)
	return p
}

func (p *bridgeProc) start(bin string) {
	p.t.Helper()
	p.mu.Lock()
	p.output = &testkit.LockedBuffer{}
	p.cmd = exec.Command(bin, "serve", "--config", p.cfg)
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := p.cmd.Start()
	p.mu.Unlock()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := waitHTTP("http://"+p.addr+"/healthz", 60*time.Second); err != nil {
		p.t.Fatalf("bridge did not come up: %v\n%s", err, p.logs())
	}
}

func (p *bridgeProc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.String()
}

// kill sends SIGKILL and waits for the process to go away.
func (p *bridgeProc) kill() {
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
}

func (p *bridgeProc) restart() { p.start(p.bin) }

// stop asks for a graceful shutdown (SIGTERM), then kills.
func (p *bridgeProc) stop() {
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil || cmd.ProcessState != nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		p.kill()
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHTTP(url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Errorf("status %d", resp.StatusCode)
		} else {
			last = err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return last
}
