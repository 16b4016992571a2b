package eventlog

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	childDirEnv    = "EVENTLOG_CHILD_DIR"
	childPrefixEnv = "EVENTLOG_CHILD_PREFIX"
)

// TestChildAppender is the child process of TestKill9KeepsAckedEvents: it
// appends from several goroutines and prints "ACK <id>" for every event only
// after Append returned nil, until it is killed.
func TestChildAppender(t *testing.T) {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		t.Skip("child process of TestKill9KeepsAckedEvents")
	}
	prefix := os.Getenv(childPrefixEnv)
	l := newLog(t, testConfig(dir), Settings{Logger: testLogger()})
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	fmt.Println("READY")
	var out sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(60 * time.Second) // bounded even if nobody kills us
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				batch := make([]string, 1+i%3)
				for j := range batch {
					batch[j] = fmt.Sprintf("%s-w%d-%06d-%d", prefix, w, i, j)
				}
				if err := l.Append(context.Background(), events(batch...)); err != nil {
					fmt.Fprintf(os.Stderr, "append: %v\n", err)
					continue
				}
				out.Lock()
				os.Stdout.WriteString("ACK " + strings.Join(batch, " ") + "\n")
				out.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestKill9KeepsAckedEvents(t *testing.T) {
	dir := t.TempDir()
	acked := make(map[string]bool)
	for round := range 2 {
		got := runAndKill(t, dir, fmt.Sprintf("r%d", round), 1500+round*700)
		for _, id := range got {
			acked[id] = true
		}
	}
	l := openLog(t, testConfig(dir))
	r, err := l.Reader("check")
	if err != nil {
		t.Fatal(err)
	}
	seen := readAll(t, r, len(acked), 60*time.Second)
	assertNoMore(t, l, r)
	for id := range acked {
		if seen[id] != 1 {
			t.Fatalf("acked id %s stored %d times, want 1", id, seen[id])
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("id %s stored %d times", id, n)
		}
	}
	// A client resending every acked event after the crash stores nothing new.
	list := make([]string, 0, len(acked))
	for id := range acked {
		list = append(list, id)
	}
	for i := 0; i < len(list); i += 100 {
		if err := l.Append(context.Background(), events(list[i:min(i+100, len(list))]...)); err != nil {
			t.Fatal(err)
		}
	}
	assertNoMore(t, l, r)
	t.Logf("%d acked events survived SIGKILL (%d stored in total)", len(acked), len(seen))
}

// runAndKill starts the child appender on dir, SIGKILLs it once it has
// acked at least n events, and returns every id it acked.
func runAndKill(t *testing.T, dir, prefix string, n int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildAppender$", "-test.count=1")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir, childPrefixEnv+"="+prefix)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ackedIDs []string
	killed := false
	timer := time.AfterFunc(90*time.Second, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "ACK "); ok {
			ackedIDs = append(ackedIDs, strings.Fields(rest)...)
		}
		if !killed && len(ackedIDs) >= n {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child ended before acking %d events (acked %d): %v\n%s", n, len(ackedIDs), err, stderr.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed by SIGKILL: %v\n%s", err, stderr.String())
	}
	return ackedIDs
}
