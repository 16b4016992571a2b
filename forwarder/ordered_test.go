package forwarder

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/forwarder/queue"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/testkit"
)

// orderLog is a loopback receiver that records every request by event id
// ("<visitor>-<n>") in arrival order and answers with status(id, try).
type orderLog struct {
	mu     sync.Mutex
	reqs   []string       // every request, in arrival order
	ok     map[string]int // successful requests by id
	tries  map[string]int
	status func(id string, try int) int
}

func newOrderLog(t *testing.T, status func(id string, try int) int) (*orderLog, string) {
	o := &orderLog{ok: map[string]int{}, tries: map[string]int{}, status: status}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		id := req.Header.Get(signing.HeaderID)
		o.mu.Lock()
		o.tries[id]++
		try := o.tries[id]
		o.reqs = append(o.reqs, id)
		o.mu.Unlock()
		code := o.status(id, try)
		if code == 200 {
			o.mu.Lock()
			o.ok[id]++
			o.mu.Unlock()
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return o, srv.URL + "/hook"
}

// delivered is how many of ids were delivered successfully.
func (o *orderLog) delivered(ids []string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, id := range ids {
		if o.ok[id] > 0 {
			n++
		}
	}
	return n
}

// requests returns the requests for one visitor's events, in arrival order.
func (o *orderLog) requests(visitor string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, id := range o.reqs {
		if strings.HasPrefix(id, visitor+"-") {
			out = append(out, id)
		}
	}
	return out
}

// orderedEnv is a forwarder over a real embedded NATS and event log.
type orderedEnv struct {
	nats *natsrv.Server
	log  *eventlog.Log
	f    *Forwarder
	w    *memWriter
}

func startOrderedEnv(t *testing.T, dir, timeout string, ep endpoint.Endpoint, schedule ...string) *orderedEnv {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	nats, err := natsrv.New(natsrv.Config{Dir: dir}, natsrv.Settings{Logger: logger})
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
	cfg := testConfig(ep)
	cfg.Timeout = timeout
	cfg.RetrySchedule = []string{"50ms", "50ms", "50ms"}
	if schedule != nil {
		cfg.RetrySchedule = schedule
	}
	e := &orderedEnv{nats: nats, log: l, w: &memWriter{}}
	e.f, err = New(cfg, Settings{Logger: logger, Log: l, NATS: nats, DB: e.w, Sites: site.NewStatic([]site.Site{{ID: "acme", WriteKey: "k"}})})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *orderedEnv) stop(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.f.Shutdown(ctx); err != nil {
		t.Error(err)
	}
	_ = e.log.Shutdown(ctx)
	_ = e.nats.Shutdown(ctx)
}

func orderedEP(url string) endpoint.Endpoint {
	ep := webhookEP("ord", url, signing.NewSecret())
	ep.Ordering = endpoint.OrderingPerVisitor
	return ep
}

// visitorEvents makes n events of one visitor, ids "<v>-1" … "<v>-n".
func visitorEvents(v string, n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		ev := testEvent("popin_captured")
		ev.ID, ev.UID, ev.AnonID = fmt.Sprintf("%s-%d", v, i+1), v, ""
		evs[i] = ev
	}
	return evs
}

func ids(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

// samePartition finds a visitor name hashed to the partition of v.
func samePartition(v string) string {
	want := queue.PartitionOf(queue.VisitorHash(endpoint.VisitorKey(v, "")))
	for i := 0; ; i++ {
		b := fmt.Sprintf("B%d", i)
		if queue.PartitionOf(queue.VisitorHash(endpoint.VisitorKey(b, ""))) == want {
			return b
		}
	}
}

// Visitor A's 3rd event fails twice; its 3rd attempt is held by the
// receiver until every event of visitor B (same partition) arrived. A's
// requests must come exactly in log order with the retries in place, and
// B must not wait for A.
func TestOrderedPerVisitor(t *testing.T) {
	gate := make(chan struct{})
	status := func(id string, try int) int {
		if id != "A-3" {
			return 200
		}
		if try <= 2 {
			return 500
		}
		select {
		case <-gate:
			return 200
		case <-time.After(15 * time.Second): // B held back behind A: the test fails below
			return 500
		}
	}
	rcv, url := newOrderLog(t, status)
	e := startOrderedEnv(t, t.TempDir(), "20s", orderedEP(url)) // the gated attempt waits on the test, not a clock
	defer e.stop(t)

	a, b := visitorEvents("A", 6), visitorEvents(samePartition("A"), 6)
	bv := b[0].UID
	ctx := context.Background()
	// Logged interleaved, over several segments.
	for i := 0; i < 6; i += 2 {
		if err := e.log.Append(ctx, []event.Event{a[i], b[i], a[i+1], b[i+1]}); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, 60*time.Second, func() error {
		if n := rcv.delivered(ids(b)); n < len(b) {
			return fmt.Errorf("visitor %s: %d of %d delivered while A-3 waits", bv, n, len(b))
		}
		return nil
	})
	if got := rcv.delivered([]string{"A-3"}); got != 0 {
		t.Fatalf("A-3 delivered before the gate opened")
	}
	close(gate)
	testkit.Eventually(t, 60*time.Second, func() error {
		if n := rcv.delivered(ids(a)); n < len(a) {
			return fmt.Errorf("visitor A: %d of %d delivered", n, len(a))
		}
		return nil
	})
	want := []string{"A-1", "A-2", "A-3", "A-3", "A-3", "A-4", "A-5", "A-6"}
	if got := rcv.requests("A"); !slices.Equal(got, want) {
		t.Errorf("visitor A requests %v, want %v", got, want)
	}
	if got, want := rcv.requests(bv), ids(b); !slices.Equal(got, want) {
		t.Errorf("visitor %s requests %v, want %v", bv, got, want)
	}
}

// A dead-lettered head releases the visitor's next delivery; order holds
// across a restart of the forwarder with deliveries parked and queued.
func TestOrderedDeadLetterAndRestart(t *testing.T) {
	var mu sync.Mutex
	down := true
	status := func(id string, try int) int {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case id == "C-2":
			return 422 // permanent: dead-lettered at once
		case down && id >= "C-3":
			return 503
		}
		return 200
	}
	rcv, url := newOrderLog(t, status)
	dir := t.TempDir()
	ep := orderedEP(url)
	long := slices.Repeat([]string{"100ms"}, endpoint.MaxRetrySteps) // C-3 outlives the restart
	// A wake-up a stopping run had fetched comes back after the ack wait
	// (timeout + 10 s): a short timeout keeps the test short.
	e := startOrderedEnv(t, dir, "1s", ep, long...)
	c := visitorEvents("C", 5)
	if err := e.log.Append(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	// C-1 delivered, C-2 dead, C-3 failing: C-4 and C-5 parked behind it.
	testkit.Eventually(t, 60*time.Second, func() error {
		if n := len(rcv.requests("C")); n < 4 {
			return fmt.Errorf("%d requests so far", n)
		}
		return nil
	})
	e.stop(t)
	mu.Lock()
	down = false
	mu.Unlock()
	e = startOrderedEnv(t, dir, "1s", ep, long...)

	defer e.stop(t)
	testkit.Eventually(t, 60*time.Second, func() error {
		if n := rcv.delivered([]string{"C-1", "C-3", "C-4", "C-5"}); n < 4 {
			return fmt.Errorf("%d of 4 delivered: %v", n, rcv.requests("C"))
		}
		return nil
	})
	var firsts []string
	for _, id := range rcv.requests("C") {
		if !slices.Contains(firsts, id) {
			firsts = append(firsts, id)
		}
	}
	if want := []string{"C-1", "C-2", "C-3", "C-4", "C-5"}; !slices.Equal(firsts, want) {
		t.Errorf("first requests in order %v, want %v (all: %v)", firsts, want, rcv.requests("C"))
	}
	got := rcv.requests("C")
	if i := slices.Index(got, "C-4"); i < 0 || slices.Contains(got[i:], "C-3") {
		t.Errorf("C-4 sent before C-3 was settled: %v", got)
	}
	if n := rcv.delivered([]string{"C-2"}); n != 0 {
		t.Errorf("C-2 delivered")
	}
}
