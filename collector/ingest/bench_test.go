package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestBenchIngest measures WebSocket ingest end to end (ingest → validate →
// real embedded eventlog with fsync → ack) against a baseline gorilla server
// that decodes the same batches and acks every id, storing nothing.
// BRIDGE_BENCH=1 runs it; BRIDGE_BENCH_EVENTS sets the total (default 200000).
func TestBenchIngest(t *testing.T) {
	if os.Getenv("BRIDGE_BENCH") != "1" {
		t.Skip("set BRIDGE_BENCH=1")
	}
	total := 200_000
	if v, err := strconv.Atoi(os.Getenv("BRIDGE_BENCH_EVENTS")); err == nil && v > 0 {
		total = v
	}
	// Browsers send a few events per frame; 50-event frames show the
	// batched ceiling. Small frames cost per frame, so they get fewer events.
	for _, c := range []struct {
		perBatch, total int
		target          float64
	}{{50, total, 0.3}, {5, total / 4, 0.5}} {
		t.Run(fmt.Sprintf("frames_of_%d", c.perBatch), func(t *testing.T) {
			benchIngest(t, c.perBatch, c.total, c.target)
		})
	}
}

// benchIngest runs the baseline and the full path with frames of perBatch
// events, total events in all, and prints their rates and ratio. The frames
// are sent in rounds (BRIDGE_BENCH_ROUNDS, default 4), each round through
// both servers, in alternating order (baseline first in even rounds), so that
// a change in the machine's load during the run weighs on both sides alike;
// each side's rate is its events over its summed time.
func benchIngest(t *testing.T, perBatch, total int, target float64) {
	const conns, window = 8, 16
	frames := benchFrames(t, total/perBatch, perBatch)
	rounds := 4
	if v, err := strconv.Atoi(os.Getenv("BRIDGE_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}

	base := benchBaseline(t)
	baseURL := "ws" + strings.TrimPrefix(base.URL, "http") + "/v1/ws?key=" + testKey
	cfg := testConfig()
	cfg.WebSocket.MaxConnectionsPerIP = conns * rounds // a round's sockets may still be closing
	cfg.WebSocket.MaxInFlight = window
	h := newHarnessWith(t, cfg, openTestLog(t, benchLogConfig))
	fullURL := h.wsURL(testKey)

	var baseTook, fullTook, baseCPU, fullCPU time.Duration
	load := func(url string, part [][]byte, cpu *time.Duration) time.Duration {
		c0 := testkit.SelfCPU()
		took := benchLoad(t, url, part, conns, window, perBatch)
		*cpu += testkit.SelfCPU() - c0
		return took
	}
	for r := range rounds {
		part := frames[r*len(frames)/rounds : (r+1)*len(frames)/rounds]
		var b, f time.Duration
		if r%2 == 0 {
			b = load(baseURL, part, &baseCPU)
			f = load(fullURL, part, &fullCPU)
		} else {
			f = load(fullURL, part, &fullCPU)
			b = load(baseURL, part, &baseCPU)
		}
		t.Logf("round %d: %d frames, ratio %.2f", r+1, len(part), b.Seconds()/f.Seconds())
		baseTook += b
		fullTook += f
	}
	events := float64(len(frames) * perBatch)
	baseRate, fullRate := events/baseTook.Seconds(), events/fullTook.Seconds()
	var m dto.Metric
	_ = h.in.m.appendDur.Write(&m)
	if hm := m.GetHistogram(); hm.GetSampleCount() > 0 {
		t.Logf("full path: %d appends, mean append latency %.1f ms", hm.GetSampleCount(),
			1000*hm.GetSampleSum()/float64(hm.GetSampleCount()))
	}
	benchLogStats(t, h.log.reg)
	want := len(frames) * perBatch
	got := 0
	for deadline := time.Now().Add(2 * time.Minute); got < want && time.Now().Before(deadline); {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		segs, err := h.log.r.Fetch(ctx, 10, 2*time.Second)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		for _, sg := range segs {
			got += len(sg.Events())
			_ = sg.Ack()
		}
	}
	if got != want {
		t.Errorf("read %d events back from the log, want %d", got, want)
	}
	fmt.Printf("BENCH ingest %d-event frames: full %.0f ev/s, baseline %.0f ev/s, ratio %.2f (target >= %.1f; %d alternating rounds)\n",
		perBatch, fullRate, baseRate, fullRate/baseRate, target, rounds)
	// The test process holds the clients too: their work counts on both sides.
	fmt.Printf("BENCH ingest %d-event frames: test process CPU per event: full %.1f µs, baseline %.1f µs\n",
		perBatch, float64(fullCPU.Microseconds())/events, float64(baseCPU.Microseconds())/events)
}

// benchLogConfig applies BRIDGE_BENCH_INFLIGHT (event_log.max_inflight_commits)
// and BRIDGE_BENCH_DELAY (commit_delay) to the log, for tuning.
func benchLogConfig(c *eventlog.Config) {
	if v, err := strconv.Atoi(os.Getenv("BRIDGE_BENCH_INFLIGHT")); err == nil && v > 0 {
		c.MaxInFlightCommits = v
	}
	if d, err := time.ParseDuration(os.Getenv("BRIDGE_BENCH_DELAY")); err == nil {
		c.CommitDelay = d
	}
}

// benchLogStats logs the log's commits: how many, their mean latency and size.
func benchLogStats(t *testing.T, reg *prometheus.Registry) {
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "bridge_eventlog_commit_latency_seconds", "bridge_eventlog_segment_events":
			hm := mf.GetMetric()[0].GetHistogram()
			if n := hm.GetSampleCount(); n > 0 {
				t.Logf("log: %s: %d, mean %.4g", mf.GetName(), n, hm.GetSampleSum()/float64(n))
			}
		}
	}
}

// benchFrames makes n frames of per events of 300–800 bytes each.
func benchFrames(t testing.TB, n, per int) [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	frames := make([][]byte, n)
	for i := range frames {
		evs := make([]wireEvent, per)
		for j := range evs {
			e := mkEvent("popin_captured")
			e.Data["note"] = strings.Repeat("n", r.IntN(500))
			evs[j] = e
		}
		frames[i] = batchJSON(t, evs...)
	}
	return frames
}

// benchLoad sends frames over conns sockets, each with up to window batches
// unacked, and returns how long it took until every event was acked.
func benchLoad(t *testing.T, url string, frames [][]byte, conns, window, per int) time.Duration {
	t.Helper()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for c := 0; c < conns; c++ {
		var mine [][]byte
		for i := c; i < len(frames); i += conns {
			mine = append(mine, frames[i])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- benchConn(url, mine, window, per)
		}()
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return took
}

func benchConn(url string, frames [][]byte, window, per int) error {
	hdr := http.Header{"Origin": {testOrigin}}
	ws, _, err := websocket.DefaultDialer.Dial(url, hdr)
	if err != nil {
		return err
	}
	defer ws.Close()
	credit := make(chan struct{}, window)
	for i := 0; i < window; i++ {
		credit <- struct{}{}
	}
	want := len(frames) * per
	done := make(chan error, 1)
	go func() {
		acked := 0
		for acked < want {
			_ = ws.SetReadDeadline(time.Now().Add(60 * time.Second))
			_, b, err := ws.ReadMessage()
			if err != nil {
				done <- fmt.Errorf("after %d acks: %w", acked, err)
				return
			}
			var m serverMsg
			if err := json.Unmarshal(b, &m); err != nil || len(m.Reject) > 0 || m.RetryAfterMS > 0 {
				done <- fmt.Errorf("unexpected %s", b)
				return
			}
			acked += len(m.Ack)
			for k := 0; k < len(m.Ack)/per; k++ {
				credit <- struct{}{}
			}
		}
		done <- nil
	}()
	for _, f := range frames {
		select {
		case <-credit:
		case err := <-done:
			return err
		}
		if err := ws.WriteMessage(websocket.TextMessage, f); err != nil {
			return err
		}
	}
	return <-done
}

// benchBaseline is a gorilla server that decodes each batch and acks every
// id at once, storing nothing.
func benchBaseline(t *testing.T) *httptest.Server {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var batch struct {
				Batch []struct {
					ID   string          `json:"id"`
					Name string          `json:"name"`
					Data json.RawMessage `json:"data"`
				} `json:"batch"`
			}
			if json.Unmarshal(b, &batch) != nil {
				return
			}
			ids := make([]string, len(batch.Batch))
			for i, e := range batch.Batch {
				ids[i] = e.ID
			}
			out, _ := json.Marshal(map[string][]string{"ack": ids})
			if ws.WriteMessage(websocket.TextMessage, out) != nil {
				return
			}
		}
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}
