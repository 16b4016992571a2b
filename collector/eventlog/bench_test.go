package eventlog

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// minGroupCommitRatio is the least speed-up group commit must bring over
// one fsynced message per event (measured 5.8-9.9 on 2 shared cores; about
// 1 when appends are not grouped).
const minGroupCommitRatio = 3

// TestBenchGroupCommit compares group commit (defaults) with one fsynced
// message per event (max_commit_events 1, no delay) under the same
// concurrent load, and fails below minGroupCommitRatio. It runs only under
// `make bench` (BRIDGE_BENCH=1).
func TestBenchGroupCommit(t *testing.T) {
	if os.Getenv("BRIDGE_BENCH") != "1" {
		t.Skip("set BRIDGE_BENCH=1")
	}
	const writers, total = 64, 20000
	gcfg := testConfig(t.TempDir())
	// BENCH_DELAY overrides commit_delay of the group-commit run, for tuning.
	if d, err := time.ParseDuration(os.Getenv("BENCH_DELAY")); err == nil {
		gcfg.CommitDelay = d
	}
	group := benchAppend(t, gcfg, writers, total)
	cfg := testConfig(t.TempDir())
	cfg.MaxCommitEvents = 1
	cfg.CommitDelay = 0
	single := benchAppend(t, cfg, writers, total/4)
	ratio := group / single
	fmt.Printf("BENCH eventlog: group-commit %.0f ev/s vs per-event-sync %.0f ev/s ratio %.1f (target >= %d; %d writers, 1 event per append)\n",
		group, single, ratio, minGroupCommitRatio, writers)
	if ratio < minGroupCommitRatio {
		t.Errorf("group commit is %.1f times as fast as one sync per event, want >= %d", ratio, minGroupCommitRatio)
	}
}

func benchAppend(t *testing.T, cfg testSetup, writers, total int) float64 {
	l := openLog(t, cfg)
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(total) {
					return
				}
				if err := l.Append(ctx, events(fmt.Sprintf("b%d-%d", w, i))); err != nil {
					t.Errorf("Append: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	commits := testutilCount(t, l.m.commits.WithLabelValues("ok"))
	t.Logf("%d events in %s, %.0f segments (%.1f events/segment)", total, took, commits, float64(total)/commits)
	return float64(total) / took.Seconds()
}
