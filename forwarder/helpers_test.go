package forwarder

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/forwarder/deliverylog"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/testkit"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

// startNATS runs an embedded JetStream server storing in dir.
func startNATS(tb testing.TB, dir string) (*server.Server, jetstream.JetStream) {
	tb.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir,
		NoLog: true, NoSigs: true, SyncAlways: os.Getenv("BENCH_NOSYNC") == ""})
	if err != nil {
		tb.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats not ready")
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		tb.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { nc.Close(); ns.Shutdown(); ns.WaitForShutdown() })
	return ns, js
}

// memLog is an in-memory event log: Append makes one segment per call.
type memLog struct {
	js jetstream.JetStream
	r  *memReader
}

func newMemLog(js jetstream.JetStream) *memLog {
	return &memLog{js: js, r: &memReader{ch: make(chan *memSeg, 10000)}}
}

func (l *memLog) Reader(string) (eventlog.Reader, error) { return l.r, nil }
func (l *memLog) JetStream() jetstream.JetStream         { return l.js }
func (l *memLog) Replicas() int                          { return 1 }

func (l *memLog) Append(evs ...event.Event) {
	l.r.mu.Lock()
	l.r.seq++
	s := &memSeg{r: l.r, seq: l.r.seq, evs: evs}
	l.r.mu.Unlock()
	l.r.ch <- s
}

type memReader struct {
	mu    sync.Mutex
	seq   uint64
	acked int
	ch    chan *memSeg
}

func (r *memReader) Fetch(ctx context.Context, max int, wait time.Duration) ([]eventlog.Segment, error) {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s := <-r.ch:
		s.deliveries++
		return []eventlog.Segment{s}, nil
	case <-t.C:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (r *memReader) Pending() (uint64, error) { return uint64(len(r.ch)), nil }

func (r *memReader) Acked() int { r.mu.Lock(); defer r.mu.Unlock(); return r.acked }

type memSeg struct {
	r          *memReader
	seq        uint64
	evs        []event.Event
	deliveries uint64
}

func (s *memSeg) Seq() uint64               { return s.seq }
func (s *memSeg) Events() []event.Event     { return s.evs }
func (s *memSeg) Deliveries() uint64        { return s.deliveries }
func (s *memSeg) Ack() error                { s.r.mu.Lock(); s.r.acked++; s.r.mu.Unlock(); return nil }
func (s *memSeg) Nak(d time.Duration) error { go func() { time.Sleep(d); s.r.ch <- s }(); return nil }

// memWriter collects delivery-log rows (or, countOnly, counts them).
type memWriter struct {
	mu        sync.Mutex
	rows      []deliverylog.Record
	fail      bool
	countOnly bool // count rows, keep none (benches: like a real writer)
	n         int
}

func (w *memWriter) WriteDeliveries(_ context.Context, rows []deliverylog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail {
		return fmt.Errorf("clickhouse down")
	}
	w.n += len(rows)
	if !w.countOnly {
		w.rows = append(w.rows, rows...)
	}
	return nil
}

// count is how many rows were written.
func (w *memWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

func (w *memWriter) all() []deliverylog.Record {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]deliverylog.Record(nil), w.rows...)
}

func (w *memWriter) forEndpoint(id string) []deliverylog.Record {
	var out []deliverylog.Record
	for _, r := range w.all() {
		if r.EndpointID == id {
			out = append(out, r)
		}
	}
	return out
}

// testConfig is a config for loopback tests with a short schedule.
func testConfig(eps ...endpoint.Endpoint) Config {
	c := NewDefaultConfig()
	c.RetrySchedule = []string{"50ms", "100ms", "200ms"}
	c.Timeout = "2s"
	c.AllowedPrivateTargets = []string{"127.0.0.0/8", "::1/128"}
	c.LogFlushInterval = "20ms"
	c.CAPIBatchWait = "50ms"
	c.Endpoints = eps
	return c
}

type env struct {
	f   *Forwarder
	log *memLog
	w   *memWriter
	obs *attemptLog
	reg *prometheus.Registry
	js  jetstream.JetStream
}

// attemptLog is an Observer that keeps every attempt (or, countOnly,
// counts them).
type attemptLog struct {
	mu        sync.Mutex
	as        []Attempt
	countOnly bool
	n         int
}

func (l *attemptLog) AttemptDone(a Attempt) {
	l.mu.Lock()
	l.n++
	if !l.countOnly {
		l.as = append(l.as, a)
	}
	l.mu.Unlock()
}

func (l *attemptLog) all() []Attempt {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Attempt(nil), l.as...)
}

// newEnv starts a forwarder over an embedded NATS and an in-memory log.
func newEnv(t *testing.T, cfg Config, sites ...site.Site) *env {
	t.Helper()
	_, js := startNATS(t, t.TempDir())
	return newEnvJS(t, cfg, js, sites...)
}

func newEnvJS(t *testing.T, cfg Config, js jetstream.JetStream, sites ...site.Site) *env {
	t.Helper()
	if len(sites) == 0 {
		sites = []site.Site{{ID: "acme", WriteKey: "pk_acme", DefaultPhoneRegion: "IN"}}
	}
	e := &env{log: newMemLog(js), w: &memWriter{}, obs: &attemptLog{}, reg: prometheus.NewRegistry(), js: js}
	f, err := New(cfg, Settings{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registerer: e.reg,
		Log: e.log, NATS: e.log, Sites: site.NewStatic(sites), DB: e.w, Observer: e.obs})
	if err != nil {
		t.Fatal(err)
	}
	// Generous: on a loaded 2-core machine creating the buckets (fsynced)
	// has taken over 10 s.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = f.Shutdown(ctx)
	})
	e.f = f
	return e
}

var evSeq int64
var evMu sync.Mutex

func testEvent(name string) event.Event {
	evMu.Lock()
	evSeq++
	n := evSeq
	evMu.Unlock()
	now := time.Now().UTC()
	return event.Event{
		ID: fmt.Sprintf("0b6f0000-0000-4000-8000-%012d", n), SiteID: "acme", Name: name, Source: event.SourceBrowser, Known: true,
		AnonID: "a-1", UID: "u-1", ClientTime: now, ReceivedAt: now,
		Data:    json.RawMessage(`{"name":"Asha Rao","email":"Asha.Rao@Example.com","mobile":"98765 43210","country":"India","city":"Bengaluru","pin_code":"560001"}`),
		Context: event.Context{URL: "https://www.acme.com/p/1", IP: "203.0.113.7", UserAgent: "Mozilla/5.0", FBP: "fb.1.1700000000000.123", FBC: "fb.1.1700000000000.AbCdEf"},
	}
}

// receiver is a webhook endpoint that verifies every delivery with two
// independent Standard Webhooks libraries and de-duplicates on webhook-id.
type receiver struct {
	t       testing.TB
	secrets []string
	srv     *httptest.Server

	mu        sync.Mutex
	status    func(n int) int // answer for the n-th request (1-based); nil: 200
	n         int
	bodies    map[string][]byte      // by webhook-id, first copy
	times     map[string][]time.Time // every attempt, by webhook-id
	dups      int
	verifyErr []error
	headers   []http.Header
	delay     time.Duration
}

func newReceiver(t testing.TB, secrets ...string) *receiver {
	r := &receiver{t: t, secrets: secrets, bodies: map[string][]byte{}, times: map[string][]time.Time{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// setStatus and setDelay change the receiver's behaviour under its lock
// (requests may already be arriving).
func (r *receiver) setStatus(f func(n int) int) { r.mu.Lock(); r.status = f; r.mu.Unlock() }
func (r *receiver) setDelay(d time.Duration)    { r.mu.Lock(); r.delay = d; r.mu.Unlock() }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.n++
	n, status, delay := r.n, r.status, r.delay
	r.headers = append(r.headers, req.Header.Clone())
	r.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	for _, s := range r.secrets {
		sw, _ := standardwebhooks.NewWebhook(s)
		sv, _ := svix.NewWebhook(s)
		for name, err := range map[string]error{"standardwebhooks": sw.Verify(body, req.Header), "svix": sv.Verify(body, req.Header)} {
			if err != nil {
				r.mu.Lock()
				r.verifyErr = append(r.verifyErr, fmt.Errorf("%s: %w", name, err))
				r.mu.Unlock()
			}
		}
	}
	id := req.Header.Get(signing.HeaderID)
	code := 200
	if status != nil {
		code = status(n)
	}
	r.mu.Lock()
	r.times[id] = append(r.times[id], time.Now())
	if code >= 200 && code < 300 {
		if _, ok := r.bodies[id]; ok {
			r.dups++
		} else {
			r.bodies[id] = body
		}
	}
	r.mu.Unlock()
	w.WriteHeader(code)
}

func (r *receiver) delivered() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.bodies) }

func (r *receiver) errors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.verifyErr...)
}

func (r *receiver) url() string { return r.srv.URL + "/hook" }

func webhookEP(id, url, secret string) endpoint.Endpoint {
	return endpoint.Endpoint{ID: id, Site: "acme", Type: endpoint.TypeWebhook, URL: url, Events: []string{"*"}, Auth: endpoint.AuthSignature, Secret: secret}
}

// queueIdle waits until an endpoint's durable queue holds nothing: no
// delivery waiting, none fetched and unacked. It is the positive signal
// before asserting that something was not sent: whatever the forwarder
// still meant to send would be in the queue.
func queueIdle(t *testing.T, e *env, endpointID string) {
	t.Helper()
	testkit.Eventually(t, 30*time.Second, func() error {
		if n := queued(t, e, endpointID); n != 0 {
			return fmt.Errorf("endpoint %s: %d deliveries queued or in flight", endpointID, n)
		}
		return nil
	})
}

// queued is how many deliveries an endpoint's durable queue holds, waiting
// or fetched and not yet acked (a delivery put back until its NotBefore
// counts: it stays unacked).
func queued(t *testing.T, e *env, endpointID string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := e.f.q.Depth(ctx, endpointID)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// forceEndpoints installs endpoints without validating them, as if they had
// passed validation earlier (e.g. a host name that now resolves elsewhere).
func forceEndpoints(t *testing.T, f *Forwarder, eps ...endpoint.Endpoint) {
	t.Helper()
	rt := &routeTable{bySite: map[string][]*endpointRuntime{}, byID: map[string]*endpointRuntime{}}
	for _, e := range eps {
		r, err := buildRuntime(e, f)
		if err != nil {
			t.Fatal(err)
		}
		rt.add(r)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes.Store(rt)
	if err := f.syncRunnersLocked(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.setOnce.Do(func() { close(f.endpointsSet) })
}
