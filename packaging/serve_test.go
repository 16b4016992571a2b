package packaging

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

// TestImageServe starts the image's entrypoint with the image's environment
// from its exported file system, as its user, with ClickHouse unreachable
// (a closed port): the process comes up (/healthz), keeps its state under
// /var/lib/bridge inside the image, and stops cleanly on SIGTERM.
func TestImageServe(t *testing.T) {
	img := theImage(t)
	state := filepath.Join(img.rootfs, "var", "lib", "bridge")
	listen, closed := freeAddr(t), freeAddr(t)

	args := append([]string{"--userspec=" + img.config.User, img.rootfs}, img.config.Entrypoint...)
	cmd := exec.Command("chroot", args...)
	cmd.Env = append(append([]string{}, img.config.Env...), "BRIDGE_LISTEN="+listen, "BRIDGE_CLICKHOUSE_ADDR="+closed)
	var out testkit.LockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		// The next run of this test starts from the image's empty state.
		entries, _ := os.ReadDir(state)
		for _, e := range entries {
			_ = os.RemoveAll(filepath.Join(state, e.Name()))
		}
	})

	if err := waitHealthy("http://"+listen+"/healthz", done, 60*time.Second); err != nil {
		t.Fatalf("bridge serve from the image: %v\n%s", err, out.String())
	}
	for _, name := range []string{"log", "master.key"} {
		fi, err := os.Stat(filepath.Join(state, name))
		if err != nil {
			t.Errorf("state %s: %v", name, err)
			continue
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != 65532 {
			t.Errorf("state %s owned by %d, want the image's user 65532", name, uid)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		done <- err // for the cleanup
		if err != nil {
			t.Errorf("bridge serve exited with %v after SIGTERM\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("bridge serve did not stop on SIGTERM\n%s", out.String())
	}
}

// waitHealthy polls url until it answers 200, the process exits, or the
// deadline passes.
func waitHealthy(url string, exited <-chan error, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return &exitedError{err}
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

type exitedError struct{ err error }

func (e *exitedError) Error() string { return "exited before answering: " + errString(e.err) }

func errString(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// freeAddr is a 127.0.0.1 port nothing listens on (closed again at once).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
