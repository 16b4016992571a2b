package eventlog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/collector/eventlog/internal/dedup"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// clusterAppendBatches bounds the load: workers × batches × events each.
const (
	clusterWorkers     = 4
	clusterBatches     = 150
	clusterBatchEvents = 4
	clusterKillAfter   = 600 // acked events before the kill
	clusterBatchBudget = 60 * time.Second
)

// TestClusterKill9NATSServer runs the log on a real 3-server JetStream
// cluster: a stream created with one replica (as bridge did before) is
// scaled to three at start; the leader of the log's stream is killed with
// SIGKILL while four clients append; every batch is retried until acked
// (bounded), and afterwards, with that server still dead, every acked event
// is read exactly once. What the failover cost is logged (not asserted).
func TestClusterKill9NATSServer(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	ctx := context.Background()
	cfg := NewDefaultConfig()
	cfg.MaxBytes = 64 << 20
	cfg.DedupMaxEntries = 10000

	// An older bridge's single-replica streams.
	old, err := natsrv.New(natsrv.Config{URL: c.URLs(), Replicas: 1}, natsrv.Settings{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Start(ctx); err != nil {
		t.Fatal(err)
	}
	l1, err := New(cfg, Settings{NATS: old, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := l1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l1.Append(ctx, events("before")); err != nil {
		t.Fatal(err)
	}
	checkReplicas(t, old.JetStream(), 1, cfg.StreamName)
	shutdown(t, l1)

	l := openLog(t, testSetup{Config: cfg, url: c.URLs()})
	if got := l.nats.Replicas(); got != 3 {
		t.Fatalf("replicas chosen on a 3-server cluster = %d, want 3", got)
	}
	r, err := l.Reader("check")
	if err != nil {
		t.Fatal(err)
	}
	checkReplicas(t, l.js, 3, cfg.StreamName, cfg.StreamName+"_DEDUP")
	checkConsumerReplicas(t, l.js, cfg.StreamName, "check", 3)

	info, err := l.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	victim := c.Node(info.Cluster.Leader)

	var (
		mu        sync.Mutex
		acked     []string
		ackTimes  []time.Time
		failures  atomic.Int64
		killedAt  time.Time
		killOnce  sync.Once
		startedAt = time.Now()
	)
	var wg sync.WaitGroup
	for w := range clusterWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range clusterBatches {
				batch := make([]string, clusterBatchEvents)
				for j := range batch {
					batch[j] = fmt.Sprintf("w%d-%04d-%d", w, b, j)
				}
				if !appendRetrying(l, batch, &failures) {
					t.Errorf("batch %v not acked within %s", batch, clusterBatchBudget)
					return
				}
				mu.Lock()
				acked = append(acked, batch...)
				ackTimes = append(ackTimes, time.Now())
				n := len(acked)
				mu.Unlock()
				if n >= clusterKillAfter {
					killOnce.Do(func() {
						mu.Lock()
						killedAt = time.Now()
						mu.Unlock()
						c.Kill(victim)
					})
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	finishedAt := time.Now()
	logFailover(t, victim.Name, startedAt, killedAt, finishedAt, ackTimes, len(acked), failures.Load())

	seen := readAll(t, r, len(acked)+1, 60*time.Second)
	assertNoMore(t, l, r)
	if seen["before"] != 1 {
		t.Errorf("the event appended before the scale-up was read %d times, want 1", seen["before"])
	}
	for _, id := range acked {
		if seen[id] != 1 {
			t.Errorf("acked event %s read %d times, want exactly once", id, seen[id])
		}
	}
}

// appendRetrying appends batch until it is acked, retrying retryable
// errors for at most clusterBatchBudget.
func appendRetrying(l *Log, batch []string, failures *atomic.Int64) bool {
	end := time.Now().Add(clusterBatchBudget)
	for time.Now().Before(end) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := l.Append(ctx, events(batch...))
		cancel()
		if err == nil {
			return true
		}
		failures.Add(1)
		if !errors.Is(err, ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// logFailover logs the append rate before the kill, the longest time
// without an ack after it, and the rate from the end of that gap to the end.
func logFailover(t *testing.T, victim string, start, kill, end time.Time, acks []time.Time, events int, failures int64) {
	sort.Slice(acks, func(i, j int) bool { return acks[i].Before(acks[j]) })
	before := 0
	gap, prev, resumed := time.Duration(0), kill, kill
	for _, at := range acks {
		if at.Before(kill) {
			before++
			continue
		}
		if d := at.Sub(prev); d > gap {
			gap, resumed = d, at
		}
		prev = at
	}
	after := 0
	for _, at := range acks {
		if at.After(resumed) {
			after++
		}
	}
	rate := func(batches int, d time.Duration) float64 {
		return float64(batches*clusterBatchEvents) / d.Seconds()
	}
	t.Logf("cluster failover: killed %s (leader of the log stream) after %d acked events; %.0f events/s before; "+
		"longest time without an ack after the kill %s; %.0f events/s after that; %d appends failed and were retried; %d events acked",
		victim, before*clusterBatchEvents, rate(before, kill.Sub(start)), gap.Round(time.Millisecond),
		rate(after, end.Sub(resumed)), failures, events)
}

// checkReplicas waits until each stream has want replicas, all current.
func checkReplicas(t *testing.T, js jetstream.JetStream, want int, streams ...string) {
	t.Helper()
	for _, name := range streams {
		testkit.Eventually(t, 30*time.Second, func() error {
			s, err := js.Stream(context.Background(), name)
			if err != nil {
				return err
			}
			info := s.CachedInfo()
			if info.Config.Replicas != want {
				return fmt.Errorf("stream %s: %d replicas configured, want %d", name, info.Config.Replicas, want)
			}
			return peersCurrent(name, info.Cluster, want)
		})
	}
}

func checkConsumerReplicas(t *testing.T, js jetstream.JetStream, stream, consumer string, want int) {
	t.Helper()
	testkit.Eventually(t, 30*time.Second, func() error {
		c, err := js.Consumer(context.Background(), stream, consumer)
		if err != nil {
			return err
		}
		return peersCurrent(stream+"/"+consumer, c.CachedInfo().Cluster, want)
	})
}

func peersCurrent(name string, ci *jetstream.ClusterInfo, want int) error {
	if ci == nil || ci.Leader == "" {
		return fmt.Errorf("%s: no leader", name)
	}
	current := 1
	for _, p := range ci.Replicas {
		if p.Current {
			current++
		}
	}
	if current != want || len(ci.Replicas) != want-1 {
		return fmt.Errorf("%s: leader %s and %d peers (%d current), want %d copies", name, ci.Leader, len(ci.Replicas), current-1, want)
	}
	return nil
}

// TestClusterTwoNodesPurge: two nodes share the log on a 3-server cluster.
// An event one node stored is not stored again when resent to the other
// (the keys travel through the shared key stream). Both nodes purge at the
// same time, over and over. Concurrent purges are safe (each stays below
// every durable consumer's ack floor): a slow reader still reads every
// event exactly once, and once it has acked everything the purges empty
// the log, inside the dedup window too, as each node counts the other's
// segments' keys as persisted.
func TestClusterTwoNodesPurge(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	cfg := NewDefaultConfig()
	cfg.MaxBytes = 64 << 20
	cfg.DedupMaxEntries = 10000
	nodes := []*Log{openLog(t, testSetup{Config: cfg, url: c.URLs()}), openLog(t, testSetup{Config: cfg, url: c.URLs()})}
	slow, err := nodes[0].Reader("slow")
	if err != nil {
		t.Fatal(err)
	}
	fast, err := nodes[1].Reader("fast")
	if err != nil {
		t.Fatal(err)
	}
	const batches = 100
	var want []string
	for i := range batches {
		for n, l := range nodes {
			batch := []string{fmt.Sprintf("n%d-%03d-a", n, i), fmt.Sprintf("n%d-%03d-b", n, i)}
			if err := l.Append(context.Background(), events(batch...)); err != nil {
				t.Fatal(err)
			}
			want = append(want, batch...)
		}
	}
	// Each node learns the other's keys from the shared key stream: an
	// event the other node stored is then not stored again.
	last := fmt.Sprintf("n0-%03d-b", batches-1)
	testkit.Eventually(t, 10*time.Second, func() error {
		c := nodes[1].c.Load()
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.index.Contains(dedup.KeyOf("acme", last), c.now()) {
			return fmt.Errorf("node 1 does not know %s yet", last)
		}
		return nil
	})
	before, err := nodes[1].stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := nodes[1].Append(context.Background(), events(last)); err != nil {
		t.Fatal(err)
	}
	if after, err := nodes[1].stream.Info(context.Background()); err != nil || after.State.LastSeq != before.State.LastSeq {
		t.Fatalf("resending %s to the other node stored a segment (last seq %d -> %v, %v)", last, before.State.LastSeq, after, err)
	}
	purgeBoth := func() {
		var wg sync.WaitGroup
		for _, l := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 3 {
					if _, err := l.purge(context.Background()); err != nil {
						t.Errorf("purge: %v", err)
					}
				}
			}()
		}
		wg.Wait()
	}
	if got := readAll(t, fast, len(want), 30*time.Second); len(got) != len(want) {
		t.Fatalf("fast reader read %d distinct events, want %d", len(got), len(want))
	}
	purgeBoth()
	seen := readAll(t, slow, len(want)/2, 30*time.Second)
	purgeBoth()
	for id, n := range readAll(t, slow, len(want)-sum(seen), 30*time.Second) {
		seen[id] += n
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Errorf("slow reader read %s %d times, want exactly once", id, seen[id])
		}
	}
	testkit.Eventually(t, 30*time.Second, func() error {
		purgeBoth()
		info, err := nodes[0].stream.Info(context.Background())
		if err != nil {
			return err
		}
		if info.State.Msgs != 0 {
			return fmt.Errorf("%d segments left after both readers acked everything", info.State.Msgs)
		}
		return nil
	})
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
