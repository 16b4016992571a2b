package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/testkit"
)

const testToken = "test-admin-token-0123456789"

var testKey = bytes.Repeat([]byte{42}, 32)

// fakeEngine records what the manager asks of the delivery engine; Test
// really POSTs a signed sample to the endpoint.
type fakeEngine struct {
	mu       sync.Mutex
	applied  []Endpoint
	applies  int
	tests    []event.Event
	retries  []Delivery
	replayed []event.Event
	problems map[string]string
}

func (f *fakeEngine) Problems() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.problems
}

func (f *fakeEngine) Apply(eps []Endpoint) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied, f.applies = eps, f.applies+1
}

func (f *fakeEngine) endpoint(id string) (Endpoint, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.applied {
		if e.ID == id {
			return e, true
		}
	}
	return Endpoint{}, false
}

func (f *fakeEngine) Test(ctx context.Context, ep Endpoint, ev event.Event) (Attempt, error) {
	f.mu.Lock()
	f.tests = append(f.tests, ev)
	f.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"id": ev.ID, "type": ev.Name, "data": ev.Data})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	var keys []signing.Key
	for _, s := range ep.SigningSecrets(time.Now()) {
		k, _ := signing.ParseSecret(s)
		keys = append(keys, k)
	}
	signing.SetHeaders(req.Header, ev.ID, time.Now(), body, keys...)
	start := time.Now()
	a := Attempt{EndpointID: ep.ID, EventID: ev.ID, EventName: ev.Name, WebhookID: ev.ID, Attempt: 1, Test: true, AttemptedAt: start}
	resp, err := http.DefaultClient.Do(req)
	a.LatencyMS = time.Since(start).Milliseconds()
	if err != nil {
		a.Error = err.Error()
		return a, nil
	}
	resp.Body.Close()
	a.StatusCode, a.OK = resp.StatusCode, resp.StatusCode/100 == 2
	return a, nil
}

func (f *fakeEngine) Retry(ctx context.Context, ep Endpoint, d Delivery) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retries = append(f.retries, d)
	return nil
}

func (f *fakeEngine) Replay(ctx context.Context, ep Endpoint, evs []event.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replayed = append(f.replayed, evs...)
	return nil
}

type fixture struct {
	t      *testing.T
	mgr    *Manager
	srv    *httptest.Server
	eng    *fakeEngine
	sites  *site.Static
	nats   *natstest.Server
	cfg    Config
	set    Settings
	now    *time.Time
	nowMu  *sync.Mutex
	cancel func()
}

type fixtureOpt func(*Config, *Settings)

func newFixture(t *testing.T, opts ...fixtureOpt) *fixture {
	t.Helper()
	ns := natstest.StartServer(t)
	return newNode(t, ns, opts...)
}

// newNode starts a manager on an existing NATS server (another "node").
func newNode(t *testing.T, ns *natstest.Server, opts ...fixtureOpt) *fixture {
	t.Helper()
	f := &fixture{t: t, eng: &fakeEngine{}, sites: site.NewStatic(nil), nats: ns, nowMu: &sync.Mutex{}}
	now := time.Now().UTC()
	f.now = &now
	f.cfg = NewDefaultConfig()
	f.set = Settings{AdminToken: testToken, MasterKey: testKey, NATS: natsrv.Fixed(ns.Connect(t)), Sites: f.sites,
		Engine: f.eng, AllowedPrivateTargets: []string{"127.0.0.0/8"},
		Now: func() time.Time { f.nowMu.Lock(); defer f.nowMu.Unlock(); return *f.now }}
	for _, o := range opts {
		o(&f.cfg, &f.set)
	}
	m, err := New(f.cfg, f.set)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	f.mgr = m
	f.srv = httptest.NewServer(m.Handler())
	t.Cleanup(func() {
		f.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := m.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return f
}

func (f *fixture) advance(d time.Duration) {
	f.nowMu.Lock()
	defer f.nowMu.Unlock()
	*f.now = f.now.Add(d)
}

// do sends a request with the admin token and decodes a JSON answer.
func (f *fixture) do(method, path string, body any) (int, map[string]any) {
	f.t.Helper()
	return f.doToken(testToken, method, path, body)
}

func (f *fixture) doToken(token, method, path string, body any) (int, map[string]any) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 && json.Unmarshal(raw, &out) != nil {
		f.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
	}
	return resp.StatusCode, out
}

// errField returns error.field of an error answer.
func errField(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["field"].(string)
	return s
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// receiver is a loopback webhook receiver.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	hdrs   []http.Header
	status int
}

func newReceiver(t *testing.T, status int) *receiver {
	r := &receiver{status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies, r.hdrs = append(r.bodies, b), append(r.hdrs, req.Header.Clone())
		st := r.status
		r.mu.Unlock()
		w.WriteHeader(st)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

// waitFor polls cond until it holds or the deadline passes.
// waitFor polls cond (testkit.Eventually) for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, func() error {
		if !cond() {
			return errors.New("still waiting for " + what)
		}
		return nil
	})
}

func (f *fixture) mustSite(id string) {
	f.t.Helper()
	if st, body := f.do("POST", "/api/v1/sites", map[string]any{"id": id, "write_key": "pk_" + id, "origins": []string{"https://www." + id + ".com"}}); st != 201 {
		f.t.Fatalf("create site: %d %v", st, body)
	}
}

func (f *fixture) mustEndpoint(body map[string]any) map[string]any {
	f.t.Helper()
	st, out := f.do("POST", "/api/v1/endpoints", body)
	if st != 201 {
		f.t.Fatalf("create endpoint: %d %v", st, out)
	}
	return out
}

// apiCase is one API request and the answer it must get: status and, for
// an error, the field it names ("" none).
type apiCase struct {
	name, method, path string
	body               any
	status             int
	field              string
}

// runCases makes each request as a subtest and checks its status, and for
// an error its field and that it has a code.
func (f *fixture) runCases(t *testing.T, cases []apiCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, body := f.do(c.method, c.path, c.body)
			if st != c.status {
				t.Fatalf("status %d, want %d: %v", st, c.status, body)
			}
			if st >= 400 && errField(body) != c.field {
				t.Fatalf("field %q, want %q: %v", errField(body), c.field, body)
			}
			if st >= 400 && errCode(body) == "" {
				t.Fatalf("error without code: %v", body)
			}
		})
	}
}
