package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// seenAt records when each id was first seen somewhere.
type seenAt struct {
	mu sync.Mutex
	at map[string]time.Time
}

func newSeenAt() *seenAt { return &seenAt{at: make(map[string]time.Time)} }

func (s *seenAt) see(id string, at time.Time) {
	s.mu.Lock()
	if _, ok := s.at[id]; !ok {
		s.at[id] = at
	}
	s.mu.Unlock()
}

func (s *seenAt) get(id string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.at[id]
	return at, ok
}

func (s *seenAt) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.at)
}

// steadyWS sends rate events/s for d, one event per frame, spread over
// conns WebSocket connections to url, and returns each id's send time and
// its acks' arrival times once every id is acked.
func steadyWS(t *testing.T, url string, rate, conns int, d time.Duration) (sent, acked *seenAt) {
	t.Helper()
	sent, acked = newSeenAt(), newSeenAt()
	total := int(d.Seconds() * float64(rate))
	every := time.Second / time.Duration(rate)
	start := time.Now().Add(100 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 2*conns)
	for k := range conns {
		c, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		mine := (total - k + conns - 1) / conns
		wg.Add(2)
		go func() { // acks
			defer wg.Done()
			for got := 0; got < mine; {
				_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
				var m struct{ Ack []string }
				if err := c.ReadJSON(&m); err != nil {
					errs <- fmt.Errorf("after %d acks: %w", got, err)
					return
				}
				now := time.Now()
				for _, id := range m.Ack {
					acked.see(id, now)
				}
				got += len(m.Ack)
			}
		}()
		go func() { // frames
			defer wg.Done()
			for i := k; i < total; i += conns {
				time.Sleep(time.Until(start.Add(time.Duration(i) * every)))
				id := uuid.NewString()
				frame, _ := json.Marshal(map[string]any{"batch": []any{wireEvent(id, "popin_widget_open")}})
				sent.see(id, time.Now())
				if err := c.WriteMessage(websocket.TextMessage, frame); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return sent, acked
}

// latencies returns, for every sent id, the time from its send to when
// it was seen in to; missing ones count as missing.
func latencies(sent, to *seenAt) (ds []time.Duration, missing int) {
	sent.mu.Lock()
	defer sent.mu.Unlock()
	for id, s := range sent.at {
		if at, ok := to.get(id); ok {
			ds = append(ds, at.Sub(s))
		} else {
			missing++
		}
	}
	slices.Sort(ds)
	return ds, missing
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[min(len(ds)-1, int(float64(len(ds))*p))]
}

func fmtPct(ds []time.Duration) string {
	return fmt.Sprintf("p50 %.1f ms, p99 %.1f ms", float64(pct(ds, 0.5))/1e6, float64(pct(ds, 0.99))/1e6)
}

// TestBenchWSLatency: at a steady 500 events/s over WebSocket (one event
// per frame, 10 connections) for 10 s, the p50/p99 of send → ack, send →
// webhook received (one endpoint on a loopback receiver) and send → visible
// in ClickHouse (its count polled every 50 ms over HTTP; clickhouse_sink
// flush_interval at its default, 1s), against two references in the same
// run: send → ack of a bare gorilla server that decodes and acks (same
// client; it stores nothing) and small records arriving at the same rate,
// group-committed with fsync on the filesystem of the bridge's data dir
// (fsyncReference: the floor of a durable ack). It also prints what the bridge's /metrics say about the
// steady part (event log commits, GC) and the CPU the bridge, ClickHouse
// and this process used in it. BRIDGE_BENCH_LATENCY_SECONDS sets the length;
// BRIDGE_BENCH_LATENCY_CONFIG is YAML appended to the bridge's config (to
// compare settings, e.g. "event_log: {max_inflight_commits: 1}").
func TestBenchWSLatency(t *testing.T) {
	skipUnlessBench(t)
	const rate, conns = 500, 10
	secs := 10
	if v, err := strconv.Atoi(os.Getenv("BRIDGE_BENCH_LATENCY_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	d := time.Duration(secs) * time.Second
	hooked := newSeenAt()
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		now := time.Now()
		var body struct{ ID string }
		if json.Unmarshal(b, &body) == nil {
			hooked.see(body.ID, now)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	srv := chtest.Shared(t)
	db := uniqueDB("bench_latency")
	p := startBridgeBin(t, benchBinary(t), fmt.Sprintf(`log_level: warn
ingest:
  rate_limit: {per_ip_events_per_second: 0, per_site_events_per_second: 0}
clickhouse: {addr: %q, database: %q}
forwarder: {allowed_private_targets: ["127.0.0.1/32"]}
sites:
  - {id: acme, write_key: pk_acme, origins: ["*"]}
endpoints:
  - {id: hook, site: acme, type: webhook, url: %q}
%s`, srv.Addr(), db, recv.URL, os.Getenv("BRIDGE_BENCH_LATENCY_CONFIG")))
	url := "ws://" + p.addr + "/v1/ws?key=pk_acme"

	stored := newSeenAt()
	pollCtx, stopPoll := context.WithCancel(context.Background())
	defer stopPoll()
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		hc := &http.Client{Timeout: 10 * time.Second}
		defer hc.CloseIdleConnections()
		lastCount := ""
		for pollCtx.Err() == nil {
			// The ids are fetched only when the count moved (once per sink
			// flush), keeping ClickHouse's CPU for the sink's inserts.
			count, err := chHTTPQuery(hc, srv.HTTPPort, "SELECT count() FROM "+db+".events")
			now := time.Now()
			if err == nil && count != lastCount {
				out, err := chHTTPQuery(hc, srv.HTTPPort, "SELECT event_id FROM "+db+".events")
				if err == nil {
					lastCount = count
					for _, id := range strings.Fields(out) {
						stored.see(id, now)
					}
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()

	steadyWS(t, url, 50, 1, time.Second) // warm up
	m0 := scrapeMetrics(t, p.addr)
	bridgeCPU0, chCPU0, selfCPU0 := procCPU(t, p), testkit.CPUOfCommand(srv.Dir, "clickhouse"), testkit.SelfCPU()
	sent, acked := steadyWS(t, url, rate, conns, d)
	bridgeCPU, chCPU, selfCPU := procCPU(t, p)-bridgeCPU0, testkit.CPUOfCommand(srv.Dir, "clickhouse")-chCPU0, testkit.SelfCPU()-selfCPU0
	m1 := scrapeMetrics(t, p.addr)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) && (hooked.len() < sent.len()+50 || stored.len() < sent.len()+50) {
		time.Sleep(100 * time.Millisecond)
	}
	stopPoll()
	<-polled

	floor, fsyncs := fsyncReference(t, dataDirOf(p), rate, d)
	_, baseAddr := startWSBaseline(t)
	baseSent, baseAcked := steadyWS(t, "ws://"+baseAddr+"/", rate, conns, d)

	ack, _ := latencies(sent, acked)
	hook, hookMissing := latencies(sent, hooked)
	ch, chMissing := latencies(sent, stored)
	base, _ := latencies(baseSent, baseAcked)
	fmt.Printf("BENCH ws latency at %d events/s, %d events: send->ack %s (goal p99 <= 20 ms); bare gorilla server send->ack %s\n",
		rate, sent.len(), fmtPct(ack), fmtPct(base))
	fmt.Printf("BENCH ws latency: send->webhook %s (goal p99 <= 30 ms, %d missing); send->ClickHouse %s (goal p99 <= 2 s, %d missing)\n",
		fmtPct(hook), hookMissing, fmtPct(ch), chMissing)
	fmt.Printf("BENCH ws latency: reference, 200-byte records at %d/s group-committed with fsync beside the data dir: arrival->durable %s (the floor of send->ack); each fsync %s, max %.1f ms, %d fsyncs\n",
		rate, fmtPct(floor), fmtPct(fsyncs), float64(fsyncs[len(fsyncs)-1])/1e6, len(fsyncs))
	fmt.Printf("BENCH ws latency, steady part: %s; %s; CPU bridge %.0f%%, ClickHouse %.0f%%, bench client %.0f%% of one core\n",
		m0.commitSummary(m1), m0.gcSummary(m1), 100*bridgeCPU.Seconds()/d.Seconds(),
		100*chCPU.Seconds()/d.Seconds(), 100*selfCPU.Seconds()/d.Seconds())
	if hookMissing > 0 || chMissing > 0 {
		t.Errorf("%d events not delivered, %d not stored within a minute", hookMissing, chMissing)
	}
}
