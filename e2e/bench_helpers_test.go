package e2e

import (
	"fmt"
	"github.com/popinbridge/bridge/internal/testkit"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// skipUnlessBench skips benchmarks outside `make bench` (BRIDGE_BENCH=1).
func skipUnlessBench(t *testing.T) {
	t.Helper()
	if os.Getenv("BRIDGE_BENCH") != "1" {
		t.Skip("benchmark: set BRIDGE_BENCH=1 (make bench)")
	}
}

var (
	benchBuildOnce sync.Once
	benchBuildPath string
	benchBuildErr  error
)

// benchBinary is ./bridge built without -race (benchmarks measure the
// shipped binary), once per test binary; BRIDGE_BENCH_BIN names a prebuilt one.
func benchBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("BRIDGE_BENCH_BIN"); p != "" {
		return p
	}
	benchBuildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Dir(filepath.Dir(file))
		dir, err := os.MkdirTemp("", "bridge-benchbin-")
		if err != nil {
			benchBuildErr = err
			return
		}
		benchBuildPath = filepath.Join(dir, "bridge")
		cmd := exec.Command("go", "build", "-o", benchBuildPath, "./bridge")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			benchBuildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if benchBuildErr != nil {
		t.Fatal(benchBuildErr)
	}
	return benchBuildPath
}

// procSample is what /proc says about a process at one moment.
type procSample struct {
	at        time.Time
	cpu       time.Duration // user + system, all threads
	voluntary int64         // voluntary context switches summed over threads: wake-ups
	forced    int64         // involuntary context switches summed over threads
	rss       int64         // resident bytes
}

func sampleProc(t *testing.T, pid int) procSample {
	t.Helper()
	s := procSample{at: time.Now()}
	cpu, err := testkit.ProcCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	s.cpu = cpu
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			continue // the thread exited
		}
		s.voluntary += statusField(string(b), "voluntary_ctxt_switches:")
		s.forced += statusField(string(b), "nonvoluntary_ctxt_switches:")
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		s.rss = statusField(string(b), "VmRSS:") << 10
	}
	return s
}

func statusField(status, key string) int64 {
	for _, line := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			v, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return v
		}
	}
	return 0
}
