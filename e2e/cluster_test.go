package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// webhookLog records, per event id, how many deliveries arrived and under
// which webhook-ids.
type webhookLog struct {
	mu    sync.Mutex
	count map[string]int
	ids   map[string]map[string]bool
}

func newWebhookLog(t *testing.T) (*webhookLog, string) {
	w := &webhookLog{count: map[string]int{}, ids: map[string]map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(b, &body)
		w.mu.Lock()
		w.count[body.ID]++
		if w.ids[body.ID] == nil {
			w.ids[body.ID] = map[string]bool{}
		}
		w.ids[body.ID][r.Header.Get("webhook-id")] = true
		w.mu.Unlock()
		rw.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return w, srv.URL
}

// ackTimes records when a client's acked count grew.
type ackTimes struct {
	mu    sync.Mutex
	times []time.Time
}

func (a *ackTimes) add() {
	a.mu.Lock()
	a.times = append(a.times, time.Now())
	a.mu.Unlock()
}

// longestGapAfter is the longest time without an ack from at onward.
func (a *ackTimes) longestGapAfter(at time.Time) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	ts := append([]time.Time(nil), a.times...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	gap, prev := time.Duration(0), at
	for _, t := range ts {
		if t.Before(at) {
			continue
		}
		gap, prev = max(gap, t.Sub(prev)), t
	}
	return gap
}

// TestClusterTwoBridgeNodes is issue 11's cluster scenario with real
// processes: two bridge nodes on a 3-server NATS JetStream cluster and one
// ClickHouse; one client streams to each node and fails over to the other.
// The first bridge node is killed with SIGKILL mid-stream (its client
// resends what was not acked to the other node), later the leader of the
// log's stream. Every acked event is in ClickHouse exactly once (FINAL),
// reaches the endpoint under one webhook-id, and an event sent to both
// nodes is delivered once.
func TestClusterTwoBridgeNodes(t *testing.T) {
	srv := chtest.Shared(t)
	cluster := natstest.StartCluster(t, 3)
	hooks, hookURL := newWebhookLog(t)
	db := uniqueDB("cluster")
	cfg := chConfig(srv, db) + fmt.Sprintf(`admin_token: "e2e-admin-token-0123456789"
master_key: "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
event_log: {url: %q, ack_wait: 5s}
clickhouse_sink: {flush_interval: 200ms}
forwarder: {allowed_private_targets: ["127.0.0.0/8"], timeout: 3s, retry_schedule: ["1s", "1s", "1s", "1s", "1s"]}
endpoints:
  - {id: crm, site: acme, type: webhook, url: %q, auth: none, events: ["*"]}
`, cluster.URLs(), hookURL+"/hook")
	nodes := []*bridgeProc{startBridge(t, cfg), startBridge(t, cfg)}

	// The same event sent to both nodes within the dedup window, the
	// second time once its id reached the second node (as a client
	// resending after a timeout would).
	twice := uuid.NewString()
	frame, _ := json.Marshal(map[string]any{"batch": []any{wireEvent(twice, "popin_captured")}})
	if got := send(t, "http", nodes[0].addr, frame); got != 1 {
		t.Fatalf("node %s accepted %d of 1", nodes[0].addr, got)
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if n := metricValue(t, nodes[1].addr, "bridge_eventlog_dedup_entries"); n < 1 {
			return fmt.Errorf("node 2 holds %v event ids, want the one node 1 stored", n)
		}
		return nil
	})
	if got := send(t, "http", nodes[1].addr, frame); got != 1 {
		t.Fatalf("node %s accepted %d of 1", nodes[1].addr, got)
	}

	const perClient = 2500
	clients := []*streamClient{
		newStreamClient(nodes[0].addr, "pk_acme", "", perClient, "popin_screen_change").withFailover("pk_acme", nodes[1].addr),
		newStreamClient(nodes[1].addr, "pk_acme", "", perClient, "popin_screen_change").withFailover("pk_acme", nodes[0].addr),
	}
	acks := []*ackTimes{{}, {}}
	var bridgeKilledAt, natsKilledAt time.Time
	var victim string
	var once [2]sync.Once
	onProgress := func(i int) func(int) {
		return func(acked int) {
			acks[i].add()
			if i == 0 && acked >= perClient/3 {
				once[0].Do(func() { bridgeKilledAt = time.Now(); nodes[0].kill() })
			}
			if i == 1 && acked >= 2*perClient/3 {
				once[1].Do(func() { victim = killLogLeader(t, cluster); natsKilledAt = time.Now() })
			}
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.run(t, 100, time.Now().Add(90*time.Second), onProgress(i))
		}()
	}
	wg.Wait()
	streamed := time.Since(start)
	if bridgeKilledAt.IsZero() || natsKilledAt.IsZero() {
		t.Fatal("a kill did not happen: the test did not exercise the crashes")
	}
	all := map[string]bool{twice: true}
	for _, c := range clients {
		for id, code := range c.rejected {
			t.Fatalf("%d events rejected, e.g. %s: %s", len(c.rejected), id, code)
		}
		for id := range c.acked {
			all[id] = true
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("cluster e2e: %d events from 2 clients in %s (%.0f events/s, both crashes included); "+
		"client of the killed bridge node: longest time without an ack after the kill %s; "+
		"after kill -9 of NATS server %s (log stream leader): %s",
		2*perClient, streamed.Round(time.Millisecond), float64(2*perClient)/streamed.Seconds(),
		acks[0].longestGapAfter(bridgeKilledAt).Round(time.Millisecond), victim,
		acks[1].longestGapAfter(natsKilledAt).Round(time.Millisecond))

	n, u := waitCount(t, srv, db, len(all), time.Minute)
	if n != len(all) || u != len(all) {
		t.Errorf("ClickHouse has %d rows with FINAL and %d unique ids; want %d and %d", n, u, len(all), len(all))
	}
	deadline := time.Now().Add(time.Minute)
	for {
		hooks.mu.Lock()
		missing := 0
		for id := range all {
			if hooks.count[id] == 0 {
				missing++
			}
		}
		hooks.mu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acked events never reached the endpoint\n%s", missing, len(all), nodes[1].logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	resent := 0
	for id := range all {
		if len(hooks.ids[id]) != 1 {
			t.Errorf("event %s reached the endpoint under %d webhook-ids, want 1", id, len(hooks.ids[id]))
		}
		resent += hooks.count[id] - 1
	}
	if hooks.count[twice] != 1 {
		t.Errorf("the event sent to both nodes was delivered %d times, want once", hooks.count[twice])
	}
	t.Logf("cluster e2e: %d deliveries repeated (same webhook-id) after the crashes", resent)
}

// metricValue reads one unlabelled sample from a node's /metrics.
func metricValue(t *testing.T, addr, name string) float64 {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}

// killLogLeader SIGKILLs the NATS server leading the log's stream and
// returns its name.
func killLogLeader(t *testing.T, c *natstest.Cluster) string {
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		t.Errorf("nats: %v", err)
		return ""
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "BRIDGE_EVENTS")
	if err != nil {
		t.Errorf("stream: %v", err)
		return ""
	}
	leader := st.CachedInfo().Cluster.Leader
	c.Kill(c.Node(leader))
	return leader
}
