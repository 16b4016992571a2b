package chsink_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/collector/chsink"
	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestBenchSink compares the sink's rows/s into MergeTree with
// clickhouse-client inserting the same rows from a Native file (R3 in
// performance-anchors.md; target ratio >= 0.7). BRIDGE_BENCH=1 to run.
//
// It measures steady state: 1 000 000 rows by default (BRIDGE_BENCH_ROWS),
// about 15 batches of the default batch_bytes, so that filling the first
// batch (nothing is inserted before it is full or due) and inserting the
// last one (nothing left to overlap it with) are a small part of the sink's
// time, as in a sink that runs for hours. At 200 000 rows (3-4 batches)
// they were a third or more of it and the ratio swung 0.23-0.74 between runs
// (BENCHMARKS.md, 2026-12-06 session 4). The run takes 10-30 s.
func TestBenchSink(t *testing.T) {
	if os.Getenv("BRIDGE_BENCH") != "1" {
		t.Skip("benchmark; set BRIDGE_BENCH=1")
	}
	client, err := exec.LookPath("clickhouse-client")
	if err != nil {
		t.Fatal("clickhouse-client not found")
	}
	n, perSeg := 1_000_000, 100
	if v := os.Getenv("BRIDGE_BENCH_ROWS"); v != "" { // rounded down to whole segments
		fmt.Sscan(v, &n)
		n -= n % perSeg
	}
	srv := chtest.Shared(t)
	db := openDB(t, srv)
	log := newGenLog(n, perSeg)
	cfg := chsink.NewDefaultConfig()
	cfg.FlushInterval = 200 * time.Millisecond
	if v := os.Getenv("BRIDGE_BENCH_BATCH"); v != "" {
		fmt.Sscan(v, &cfg.BatchSize)
	}
	if v := os.Getenv("BRIDGE_BENCH_BATCH_BYTES"); v != "" { // with _BATCH: one insert for all rows, like the baseline
		fmt.Sscan(v, &cfg.BatchBytes)
	}
	reg := prometheus.NewRegistry()
	s, err := chsink.New(cfg, chsink.Settings{Logger: quiet, Registerer: reg, DB: db, Reader: log, Sites: testSites()})
	if err != nil {
		t.Fatal(err)
	}
	cpu0, srv0 := testkit.SelfCPU(), testkit.CPUOfCommand(srv.Dir, "clickhouse")
	start := time.Now()
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Minute, func() error {
		if a := log.acked.Load(); a != int64(n/perSeg) {
			return fmt.Errorf("%d of %d segments acked", a, n/perSeg)
		}
		return nil
	})
	sinkDur := time.Unix(0, log.doneAt.Load()).Sub(start) // not when the poll above noticed
	sinkCPU, sinkSrvCPU := testkit.SelfCPU()-cpu0, testkit.CPUOfCommand(srv.Dir, "clickhouse")-srv0
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.Shutdown(ctx)
	if got := queryUint(t, db, "SELECT count() FROM events"); got != uint64(n) {
		t.Fatalf("events has %d rows, want %d", got, n)
	}

	// Baseline: the same rows as a Native file, inserted by clickhouse-client.
	file := filepath.Join(t.TempDir(), "events.native")
	args := []string{"--host", "127.0.0.1", "--port", fmt.Sprint(srv.TCPPort), "--database", db.Database()}
	var clientCPU time.Duration // clickhouse-client's own CPU, summed over its runs
	sh := func(query, stdin, stdout string) time.Duration {
		t.Helper()
		cmd := exec.Command(client, append(args, "--query", query)...)
		if stdin != "" {
			f, err := os.Open(stdin)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cmd.Stdin = f
		}
		var out strings.Builder
		cmd.Stderr = &out
		if stdout != "" {
			f, err := os.Create(stdout)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cmd.Stdout = f
		}
		st := time.Now()
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v: %s", query, err, out.String())
		}
		d := time.Since(st)
		clientCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		return d
	}
	cols := "event_id, site_id, name, source, known, uid, aid, sid, seq, client_ts, received_at, event_time, event_date, " +
		"url, referrer, title, utm_source, utm_medium, utm_campaign, utm_term, utm_content, fbp, fbc, country, ip, user_agent, data"
	sh("SELECT "+cols+" FROM events FORMAT Native", "", file)
	sh("CREATE TABLE events_copy AS events", "", "")
	srv1 := testkit.CPUOfCommand(srv.Dir, "clickhouse")
	clientCPU = 0
	clientDur := sh("INSERT INTO events_copy ("+cols+") FORMAT Native", file, "")
	clientOwnCPU := clientCPU
	clientSrvCPU := testkit.CPUOfCommand(srv.Dir, "clickhouse") - srv1
	if got := queryUint(t, db, "SELECT count() FROM events_copy"); got != uint64(n) {
		t.Fatalf("events_copy has %d rows, want %d", got, n)
	}
	st, _ := os.Stat(file)
	var insertSecs float64
	var inserts uint64
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "bridge_chsink_insert_duration_seconds" {
			insertSecs = mf.GetMetric()[0].GetHistogram().GetSampleSum()
			inserts = mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	// Pipeline fill and drain: until the first batch is in, and from the
	// last event read until it is in.
	fill := time.Unix(0, log.firstAck.Load()).Sub(start)
	drain := time.Duration(log.doneAt.Load() - log.lastFetchAt.Load())
	fmt.Printf("BENCH chsink detail: sink %d inserts, %.2fs inside inserts (summed over %d inserters), %.2fs wall (first ack after %.2fs, last %.2fs after the last read), CPU %.2fs sink process (%.1f us/row) + %.2fs server; clickhouse-client %.2fs wall, CPU %.2fs client + %.2fs server\n",
		inserts, insertSecs, cfg.InsertConcurrency, sinkDur.Seconds(), fill.Seconds(), drain.Seconds(), sinkCPU.Seconds(), sinkCPU.Seconds()*1e6/float64(n), sinkSrvCPU.Seconds(),
		clientDur.Seconds(), clientOwnCPU.Seconds(), clientSrvCPU.Seconds())
	sinkRate := float64(n) / sinkDur.Seconds()
	clientRate := float64(n) / clientDur.Seconds()
	fmt.Printf("BENCH chsink: sink %.0f rows/s, clickhouse-client native %.0f rows/s, ratio %.2f (target >= 0.7) [%d rows, native file %d bytes, avg %d B/row]\n",
		sinkRate, clientRate, sinkRate/clientRate, n, st.Size(), st.Size()/int64(n))
}

// benchEvent is a 300-800 byte event shaped like real traffic: mostly
// widget events, some screens, one in ten a captured lead with PII.
func benchEvent(i int) event.Event {
	e := ev(i, "acme", "nudge_show", nil)
	e.Context.URL = fmt.Sprintf("https://www.acme.com/products/category-%d/item-%d?ref=home&variant=blue", i%50, i%997)
	e.Context.Title = "Acme Store — Premium item with a reasonably long product title"
	e.Context.UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	switch {
	case i%10 == 0:
		e.Name = "popin_captured"
		e.Data = []byte(fmt.Sprintf(`{"name":"Visitor %d","email":"visitor%d@example.com","country":"IN","mobile":"98765%05d","city":"Pune","pin_code":"411001","group":"sales","uid":"u-%d"}`, i, i, i%100000, i%7))
	case i%10 < 4:
		e.Name = "popin_screen_change"
		e.Data = []byte(fmt.Sprintf(`{"uid":"u-%d","screen":"screen-%d"}`, i%7, i%6))
	default:
		e.Data = []byte(fmt.Sprintf(`{"uid":"u-%d"}`, i%7))
	}
	return e
}

// genLog is an eventlog.Reader that serves n events in segments of perSeg,
// copied from a pool of event templates. Everything that costs CPU (the
// templates, every event id) is made before timing starts; during the run
// Fetch only copies template structs into event slices recycled from acked
// segments, so the benchmark measures the sink rather than the generator,
// and the live heap stays what a real log has in flight (not all n events).
type genLog struct {
	n, perSeg   int
	templates   []event.Event
	ids         []string // event id of row i
	next        atomic.Int64
	acked       atomic.Int64
	doneAt      atomic.Int64 // Unix ns of the last segment's ack
	firstAck    atomic.Int64 // Unix ns of the first ack
	lastFetchAt atomic.Int64 // Unix ns the last segment was handed out
	mu          sync.Mutex
	retry       []eventlog.Segment
	free        [][]event.Event // event slices of acked segments
}

func newGenLog(n, perSeg int) *genLog {
	l := &genLog{n: n, perSeg: perSeg, ids: make([]string, n)}
	for i := 0; i < 1000; i++ {
		l.templates = append(l.templates, benchEvent(i))
	}
	const idLen = len("00000000-0000-4000-8000-000000000000")
	all := make([]byte, 0, n*idLen)
	for i := range n {
		all = fmt.Appendf(all, "00000000-0000-4000-8000-%012d", i)
	}
	ids := string(all)
	for i := range l.ids {
		l.ids[i] = ids[i*idLen : (i+1)*idLen]
	}
	return l
}

func (l *genLog) Fetch(ctx context.Context, max int, wait time.Duration) ([]eventlog.Segment, error) {
	l.mu.Lock()
	out := l.retry
	l.retry = nil
	l.mu.Unlock()
	for len(out) < max {
		seg := int(l.next.Add(1) - 1)
		if seg*l.perSeg >= l.n {
			break
		}
		if (seg+1)*l.perSeg >= l.n {
			l.lastFetchAt.Store(time.Now().UnixNano())
		}
		l.mu.Lock()
		var evs []event.Event
		if k := len(l.free); k > 0 {
			evs, l.free = l.free[k-1], l.free[:k-1]
		}
		l.mu.Unlock()
		if evs == nil {
			evs = make([]event.Event, l.perSeg)
		}
		for j := range evs {
			i := seg*l.perSeg + j
			evs[j] = l.templates[i%len(l.templates)]
			evs[j].ID = l.ids[i]
		}
		out = append(out, &genSeg{l: l, seq: uint64(seg + 1), events: evs})
	}
	if len(out) == 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	return out, nil
}

func (l *genLog) Pending() (uint64, error) {
	return uint64(int64(l.n/l.perSeg) - l.acked.Load()), nil
}

type genSeg struct {
	l      *genLog
	seq    uint64
	events []event.Event
}

func (s *genSeg) Seq() uint64           { return s.seq }
func (s *genSeg) Events() []event.Event { return s.events }
func (s *genSeg) Deliveries() uint64    { return 1 }

// Ack recycles the segment's events: the sink must not use them after Ack
// (they are immutable only while the log holds them for this reader).
func (s *genSeg) Ack() error {
	s.l.mu.Lock()
	s.l.free = append(s.l.free, s.events)
	s.events = nil
	s.l.mu.Unlock()
	s.l.firstAck.CompareAndSwap(0, time.Now().UnixNano())
	if s.l.acked.Add(1) == int64(s.l.n/s.l.perSeg) {
		s.l.doneAt.Store(time.Now().UnixNano())
	}
	return nil
}
func (s *genSeg) Nak(time.Duration) error {
	s.l.mu.Lock()
	s.l.retry = append(s.l.retry, s)
	s.l.mu.Unlock()
	return nil
}
