package forwarder

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/payload"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestBenchForwarder compares signed, queued and logged deliveries per
// second with a plain net/http POST loop against the same loopback receiver
// at the same concurrency. Skipped unless BRIDGE_BENCH=1.
func TestBenchForwarder(t *testing.T) {
	if os.Getenv("BRIDGE_BENCH") != "1" {
		t.Skip("set BRIDGE_BENCH=1")
	}
	const n, conc = 20000, 8
	secret := signing.NewSecret()
	var hits atomic.Int64
	srv := newReceiver(t) // plain handler below; no verification in the hot path
	srv.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(r.Body)
		hits.Add(1)
		w.WriteHeader(200)
	})
	url := srv.url()

	// Baseline: plain POSTs of the same body.
	ev := testEvent("popin_captured")
	body, _ := payload.DefaultBody(&ev)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc * 2}}
	stopProfile := benchProfile(t, "plain.cpu")
	plainUse := startUsage()
	start := time.Now()
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= n {
				resp, err := client.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = new(bytes.Buffer).ReadFrom(resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	plain := float64(n) / time.Since(start).Seconds()
	plainCPU, plainAllocs := plainUse.per(n)
	stopProfile()

	// Forwarder: events appended to the log, fanned out, queued, signed, sent, logged.
	cfg := testConfig(webhookEP("bench", url, secret))
	cfg.Concurrency = conc
	if b := os.Getenv("BRIDGE_BENCH_FAST_PATH_BUDGET"); b != "" {
		cfg.FastPathBudget = b // "0s": every delivery through the durable queue
	}
	e := newEnv(t, cfg)
	// The bench measures the product: its delivery-log writer and observer
	// count rows as a real writer would write them out, instead of keeping
	// all 20 000 (whose copying and GC were a tenth of the forwarder's CPU).
	e.w.mu.Lock()
	e.w.countOnly = true
	e.w.mu.Unlock()
	e.obs.mu.Lock()
	e.obs.countOnly = true
	e.obs.mu.Unlock()
	hits.Store(0)
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = testEvent("popin_captured")
	}
	stopProfile = benchProfile(t, "forwarder.cpu")
	fwdUse := startUsage()
	start = time.Now()
	for i := 0; i < n; i += 500 {
		e.log.Append(evs[i : i+500]...)
	}
	testkit.Eventually(t, 120*time.Second, func() error {
		if h := hits.Load(); h < n {
			return fmt.Errorf("%d of %d", h, n)
		}
		return nil
	})
	fwd := float64(n) / time.Since(start).Seconds()
	fwdCPU, fwdAllocs := fwdUse.per(n)
	stopProfile()
	testkit.Eventually(t, 10*time.Second, func() error {
		if r := e.w.count(); r < n {
			return fmt.Errorf("%d rows logged", r)
		}
		return nil
	})
	_ = context.Background()
	queued := 0.0
	if mfs, err := e.reg.Gather(); err == nil {
		for _, mf := range mfs {
			if mf.GetName() == "bridge_forwarder_enqueued_total" {
				for _, m := range mf.GetMetric() {
					queued += m.GetCounter().GetValue()
				}
			}
		}
	}
	fmt.Printf("BENCH forwarder: %.0f deliveries/s vs plain %.0f/s ratio %.2f (target >= 0.8); %d deliveries, %.0f through the durable queue\n",
		fwd, plain, fwd/plain, n, queued)
	// Process CPU and heap allocations per delivery, receiver included in
	// both: steadier than wall-clock rates on a shared machine.
	fmt.Printf("BENCH forwarder cpu: %.1f µs/delivery vs plain %.1f µs (ratio %.2f); allocs %.0f/delivery vs plain %.0f\n",
		fwdCPU, plainCPU, plainCPU/fwdCPU, fwdAllocs, plainAllocs)
}

// benchProfile starts a CPU profile of one phase of a bench into
// $BRIDGE_BENCH_PROFILE/name (not with -cpuprofile) and returns its stop; a
// no-op when the variable is unset.
func benchProfile(t *testing.T, name string) (stop func()) {
	dir := os.Getenv("BRIDGE_BENCH_PROFILE")
	if dir == "" {
		return func() {}
	}
	pf, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(pf); err != nil {
		pf.Close()
		t.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); pf.Close() }
}

// usage is a snapshot of process CPU time and heap allocations.
type usage struct {
	cpu    time.Duration
	allocs uint64
}

func startUsage() usage {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return usage{cpu: testkit.SelfCPU(), allocs: ms.Mallocs}
}

// per returns CPU µs and allocations per operation since u, for n operations.
func (u usage) per(n int) (cpuMicros, allocs float64) {
	now := startUsage()
	return float64(now.cpu-u.cpu) / float64(time.Microsecond) / float64(n), float64(now.allocs-u.allocs) / float64(n)
}
