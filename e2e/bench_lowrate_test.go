package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/popinbridge/bridge/internal/chtest"
)

// lowRateBridge is a collector process (the built binary with ClickHouse and
// one webhook endpoint, or the floor server) posting to a loopback receiver,
// ready for a steady trickle of events.
type lowRateBridge struct {
	procID    int
	url       string       // where events are POSTed
	stored    func() int   // events durably stored so far
	delivered atomic.Int64 // webhooks received
	sent      int
	noHook    bool // no webhooks will come: settle waits only for storage
	client    *http.Client
}

// startLowRateBridge starts the bridge with one webhook endpoint, or with
// none (withHook false: ingest, log and ClickHouse only).
func startLowRateBridge(t *testing.T, withHook bool) *lowRateBridge {
	t.Helper()
	srv, db := chtest.Shared(t), uniqueDB("bench_lowrate")
	lb, recv := newLowRateTarget(t)
	endpoints := fmt.Sprintf("endpoints:\n  - {id: hook, site: acme, type: webhook, url: %q}\n", recv)
	if !withHook {
		endpoints, lb.noHook = "", true
	}
	p := startBridgeBin(t, benchBinary(t), fmt.Sprintf(`log_level: warn
ingest:
  rate_limit: {per_ip_events_per_second: 0, per_site_events_per_second: 0}
clickhouse: {addr: %q, database: %q}
forwarder: {allowed_private_targets: ["127.0.0.0/8"]}
sites:
  - {id: acme, write_key: pk_acme, origins: ["*"]}
`+endpoints, srv.Addr(), db))
	lb.procID, lb.url = p.cmd.Process.Pid, "http://"+p.addr+"/v1/events?key=pk_acme"
	lb.stored = func() int {
		out, err := srv.Query(context.Background(), "SELECT count() FROM "+db+".events")
		n, _ := strconv.Atoi(out)
		if err != nil {
			return 0
		}
		return n
	}
	return lb
}

// startLowRateFloor is the same trickle against the floor server
// (serveLowRateFloor): its answer means stored.
func startLowRateFloorTarget(t *testing.T, parts string) *lowRateBridge {
	t.Helper()
	lb, recv := newLowRateTarget(t)
	pid, addr := startLowRateFloor(t, recv, parts)
	lb.procID, lb.url = pid, "http://"+addr+"/v1/events"
	lb.stored = func() int { return lb.sent }
	if strings.Contains(parts, "nohook") {
		lb.noHook = true
	}
	return lb
}

// newLowRateTarget starts the loopback webhook receiver counting into the
// returned target; the caller sets what it posts to.
func newLowRateTarget(t *testing.T) (*lowRateBridge, string) {
	t.Helper()
	lb := &lowRateBridge{client: &http.Client{Timeout: 30 * time.Second}}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		lb.delivered.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)
	return lb, recv.URL
}

func (lb *lowRateBridge) pid() int { return lb.procID }

// post sends one HTTP request carrying n new events.
func (lb *lowRateBridge) post(t *testing.T, n int) {
	batch := make([]any, n)
	for i := range batch {
		batch[i] = wireEvent(uuid.NewString(), "popin_widget_open")
	}
	frame, _ := json.Marshal(map[string]any{"batch": batch})
	resp, err := lb.client.Post(lb.url, "text/plain", bytes.NewReader(frame))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	lb.sent += n
}

// settle waits until every event sent so far is delivered to the webhook and
// visible in ClickHouse.
func (lb *lowRateBridge) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if (lb.noHook || int(lb.delivered.Load()) >= lb.sent) && lb.stored() >= lb.sent {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("not settled: %d sent, %d delivered", lb.sent, lb.delivered.Load())
}

// lowRateRun is the cost of one steady run, from the first request until
// every event is delivered and stored.
type lowRateRun struct {
	events int
	cpu    time.Duration
	wakes  int64
	forced int64
	took   time.Duration
}

func (r lowRateRun) cpuPerEvent() time.Duration { return r.cpu / time.Duration(r.events) }
func (r lowRateRun) wakesPerEvent() float64     { return float64(r.wakes) / float64(r.events) }

// steady sends rate events/s in requests of perReq events for d.
func (lb *lowRateBridge) steady(t *testing.T, rate, perReq int, d time.Duration) lowRateRun {
	t.Helper()
	before := sampleProc(t, lb.pid())
	sent0 := lb.sent
	every := time.Second * time.Duration(perReq) / time.Duration(rate)
	start := time.Now()
	for i := 0; ; i++ {
		next := start.Add(time.Duration(i) * every)
		if next.Sub(start) >= d {
			break
		}
		time.Sleep(time.Until(next))
		lb.post(t, perReq)
	}
	lb.settle(t)
	after := sampleProc(t, lb.pid())
	return lowRateRun{events: lb.sent - sent0, cpu: after.cpu - before.cpu,
		wakes: after.voluntary - before.voluntary, forced: after.forced - before.forced, took: after.at.Sub(before.at)}
}

// TestBenchLowRate: CPU of the bridge process per event at a steady 100
// events/s end to end (HTTP ingest, fsynced log, ClickHouse, one signed
// webhook), one event per request, against the same rate in batches of 50
// and against the floor server (serveLowRateFloor: fdatasync'd append and one
// webhook per event, nothing else) measured in the same run. Also the idle
// cost per second.
// BRIDGE_BENCH_LOWRATE_SECONDS sets each run's length (default 10).
func TestBenchLowRate(t *testing.T) {
	skipUnlessBench(t)
	secs := 10
	if v, err := strconv.Atoi(os.Getenv("BRIDGE_BENCH_LOWRATE_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	d := time.Duration(secs) * time.Second
	lb := startLowRateBridge(t, true)
	lb.warm(t)

	idle0 := sampleProc(t, lb.pid())
	time.Sleep(5 * time.Second)
	idle1 := sampleProc(t, lb.pid())
	idleSecs := idle1.at.Sub(idle0.at).Seconds()
	idleCPU := (idle1.cpu - idle0.cpu).Seconds() / idleSecs
	idleWakes := float64(idle1.voluntary-idle0.voluntary) / idleSecs

	single := lb.steady(t, 100, 1, d)
	batched := lb.steady(t, 100, 50, d)
	noHook := startLowRateBridge(t, false).warm(t).steady(t, 100, 1, d)
	floorRun := func(parts string) lowRateRun {
		return startLowRateFloorTarget(t, parts).warm(t).steady(t, 100, 1, d)
	}
	floor := floorRun("")
	// The floor's parts: a bare request, then with its fdatasync'd append.
	bare, synced := floorRun("nofsync,nohook"), floorRun("nohook")
	for _, r := range []struct {
		name string
		run  lowRateRun
	}{{"single", single}, {"batch50", batched}, {"single, no endpoint", noHook}, {"floor single", floor},
		{"floor request only", bare}, {"floor request+fdatasync", synced}} {
		fmt.Printf("BENCH lowrate %s: %d events in %.1fs, CPU %.3fs = %.3f ms/event, %.1f wake-ups/event (+%.1f forced)\n",
			r.name, r.run.events, r.run.took.Seconds(), r.run.cpu.Seconds(),
			ms(r.run), r.run.wakesPerEvent(), float64(r.run.forced)/float64(r.run.events))
	}
	fmt.Printf("BENCH lowrate idle: %.1f ms CPU/s, %.0f wake-ups/s\n", idleCPU*1000, idleWakes)
	fmt.Printf("BENCH lowrate 100 ev/s: single %.3f ms/event (target <= 0.5), %.1fx the batched cost, %.1fx the floor server's %.3f ms/event in the same run\n",
		ms(single), ms(single)/ms(batched), ms(single)/ms(floor), ms(floor))
	// Each part's cost, the bridge's beside the floor's: what it costs to
	// store an event (request, durable append and, for the bridge, its
	// ClickHouse row) and what one webhook adds.
	fmt.Printf("BENCH lowrate parts (ms/event, bridge vs floor): request %.3f floor; store %.3f vs %.3f (%.1fx); webhook %.3f vs %.3f (%.1fx)\n",
		ms(bare), ms(noHook), ms(synced), ms(noHook)/ms(synced),
		ms(single)-ms(noHook), ms(floor)-ms(synced), (ms(single)-ms(noHook))/(ms(floor)-ms(synced)))
}

// warm sends 20 lone events and waits for them: connections to ClickHouse and
// the receiver, the tables and the caches are then ready.
func (lb *lowRateBridge) warm(t *testing.T) *lowRateBridge {
	t.Helper()
	for range 20 {
		lb.post(t, 1)
	}
	lb.settle(t)
	return lb
}

// ms is a run's CPU milliseconds per event.
func ms(r lowRateRun) float64 { return float64(r.cpuPerEvent()) / 1e6 }
