package forwarder

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/testkit"
)

// startClusterForwarder is one node of a cluster: its own NATS client, event
// log and forwarder over the servers of c, all stopped at test end.
func startClusterForwarder(t *testing.T, c *natstest.Cluster, cfg Config) (*eventlog.Log, *memWriter) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	nats, err := natsrv.New(natsrv.Config{URL: c.URLs()}, natsrv.Settings{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if err := nats.Start(ctx); err != nil {
		t.Fatal(err)
	}
	l, err := eventlog.New(eventlog.NewDefaultConfig(), eventlog.Settings{NATS: nats, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	w := &memWriter{}
	f, err := New(cfg, Settings{Logger: logger, Log: l, NATS: nats, DB: w, Sites: site.NewStatic([]site.Site{{ID: "acme", WriteKey: "k"}})})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := f.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		_ = l.Shutdown(ctx)
		_ = nats.Shutdown(ctx)
	})
	return l, w
}

// attemptsOf counts a node's recorded attempts to endpoint id.
func (w *memWriter) attemptsOf(id string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, r := range w.rows {
		if r.EndpointID == id && !r.Test {
			n++
		}
	}
	return n
}

// ordering: per_visitor across nodes: two forwarders on a 3-server
// JetStream cluster deliver to one receiver; events of 8 visitors are
// appended interleaved, alternately through each node's log, and every
// 5th event of a visitor fails once (its retry goes through the park and a
// wake-up, which either node may take). Each visitor's requests come in log
// order (a retry only repeats the event just sent), every event is
// delivered exactly once, and both nodes made attempts.
func TestOrderedPerVisitorAcrossNodes(t *testing.T) {
	const visitors, perVisitor = 8, 25 // 200 events
	status := func(id string, try int) int {
		var v string
		var n int
		if _, err := fmt.Sscanf(id, "V%1s-%d", &v, &n); err == nil && n%5 == 2 && try == 1 {
			return 503
		}
		return 200
	}
	rcv, url := newOrderLog(t, status)
	c := natstest.StartCluster(t, 3)
	cfg := testConfig(orderedEP(url))
	cfg.Timeout = "2s"
	cfg.RetrySchedule = []string{"50ms", "50ms", "50ms"}
	logs := make([]*eventlog.Log, 2)
	writers := make([]*memWriter, 2)
	for i := range logs {
		logs[i], writers[i] = startClusterForwarder(t, c, cfg)
	}

	names := make([]string, visitors)
	evs := make([][]event.Event, visitors)
	var all []string
	for v := range visitors {
		names[v] = fmt.Sprintf("V%c", 'a'+v)
		evs[v] = visitorEvents(names[v], perVisitor)
		all = append(all, ids(evs[v])...)
	}
	// Log order: event k of every visitor, then k+1, in segments of 8,
	// appended alternately through node 1 and node 2.
	ctx := context.Background()
	for k := range perVisitor {
		batch := make([]event.Event, visitors)
		for v := range visitors {
			batch[v] = evs[v][k]
		}
		if err := logs[k%2].Append(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, 120*time.Second, func() error {
		if n := rcv.delivered(all); n < len(all) {
			return fmt.Errorf("%d of %d delivered", n, len(all))
		}
		return nil
	})

	for v, name := range names {
		got := slices.Compact(rcv.requests(name)) // a retry repeats the event just sent
		if want := ids(evs[v]); !slices.Equal(got, want) {
			t.Errorf("visitor %s: requests out of log order:\n got %v\nwant %v", name, rcv.requests(name), want)
		}
	}
	rcv.mu.Lock()
	for _, id := range all {
		if rcv.ok[id] != 1 {
			t.Errorf("%s delivered %d times, want once", id, rcv.ok[id])
		}
	}
	rcv.mu.Unlock()
	a, b := writers[0].attemptsOf("ord"), writers[1].attemptsOf("ord")
	t.Logf("attempts by node: %d and %d", a, b)
	if a == 0 || b == 0 {
		t.Errorf("attempts by node %d and %d: both must deliver for the test to mean anything", a, b)
	}
}
