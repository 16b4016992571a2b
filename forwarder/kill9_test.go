package forwarder

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/testkit"
)

const childEnv = "BRIDGE_FORWARDER_CHILD"

// childMain runs a forwarder over a real embedded event log in
// $BRIDGE_FORWARDER_DIR, appending $BRIDGE_FORWARDER_APPEND events first,
// and prints "READY" then runs until killed.
func childMain() int {
	dir, url, secret := os.Getenv("BRIDGE_FORWARDER_DIR"), os.Getenv("BRIDGE_FORWARDER_URL"), os.Getenv("BRIDGE_FORWARDER_SECRET")
	n, _ := strconv.Atoi(os.Getenv("BRIDGE_FORWARDER_APPEND"))
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	nats, err := natsrv.New(natsrv.Config{Dir: dir}, natsrv.Settings{Logger: logger})
	if err == nil {
		err = nats.Start(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	l, err := eventlog.New(eventlog.NewDefaultConfig(), eventlog.Settings{NATS: nats, Logger: logger})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := l.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cfg := testConfig(webhookEP("ep", url, secret))
	cfg.RetrySchedule = []string{"300ms", "600ms", "1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s"}
	f, err := New(cfg, Settings{Logger: logger, Log: l, NATS: nats, Sites: site.NewStatic([]site.Site{{ID: "acme", WriteKey: "k"}})})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := f.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var evs []event.Event
	for i := 0; i < n; i++ {
		ev := testEvent("popin_captured")
		ev.ID = fmt.Sprintf("kill9-%04d", i)
		evs = append(evs, ev)
	}
	if n > 0 {
		if err := l.Append(ctx, evs); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fmt.Println("READY")
	select {}
}

func startChild(t *testing.T, dir, url, secret string, appendN int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "BRIDGE_FORWARDER_DIR="+dir, "BRIDGE_FORWARDER_URL="+url,
		"BRIDGE_FORWARDER_SECRET="+secret, "BRIDGE_FORWARDER_APPEND="+strconv.Itoa(appendN))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "READY" {
				ready <- nil
				_, _ = io.Copy(io.Discard, out)
				return
			}
		}
		ready <- fmt.Errorf("child exited before READY")
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("child not ready")
	}
	return cmd
}

func kill9(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}

// TestKill9PendingRetries: deliveries waiting for a retry when the process
// is killed with SIGKILL are all delivered after a restart, none lost; a
// receiver that de-duplicates on webhook-id processes each once.
func TestKill9PendingRetries(t *testing.T) {
	const n = 40
	secret := signing.NewSecret()
	rcv := newReceiver(t, secret)
	var failing atomic.Bool
	failing.Store(true)
	rcv.setStatus(func(int) int {
		if failing.Load() {
			return 503
		}
		return 200
	})
	dir := t.TempDir()
	child := startChild(t, dir, rcv.url(), secret, n)
	// Wait until every delivery has failed at least once: all are pending retries.
	testkit.Eventually(t, 20*time.Second, func() error {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		if len(rcv.times) < n {
			return fmt.Errorf("%d of %d attempted", len(rcv.times), n)
		}
		return nil
	})
	kill9(t, child)
	rcv.mu.Lock()
	before := rcv.n
	failing.Store(false)
	rcv.mu.Unlock()
	t.Logf("killed with %d deliveries pending retry after %d failed attempts", n, before)

	child = startChild(t, dir, rcv.url(), secret, 0)
	defer kill9(t, child)
	testkit.Eventually(t, 60*time.Second, func() error {
		if rcv.delivered() != n {
			return fmt.Errorf("%d of %d delivered", rcv.delivered(), n)
		}
		return nil
	})
	if errs := rcv.errors(); len(errs) > 0 {
		t.Fatalf("verification: %v", errs[0])
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for i := 0; i < n; i++ {
		if _, ok := rcv.bodies[fmt.Sprintf("kill9-%04d", i)]; !ok {
			t.Errorf("kill9-%04d never delivered", i)
		}
	}
	t.Logf("all %d delivered after restart; duplicate successful sends dropped by the receiver's webhook-id dedup: %d", n, rcv.dups)
}
