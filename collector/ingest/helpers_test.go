package ingest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/testkit"
)

const (
	testKey    = "pk_acme"
	testOrigin = "https://www.acme.com"
)

func testSites() *site.Static {
	return site.NewStatic([]site.Site{
		{ID: "acme", WriteKey: testKey, Origins: []string{testOrigin, "https://*.acme.com"}, PopinAPIKey: "k3y"},
		{ID: "open", WriteKey: "pk_open", Origins: []string{"*"}, PopinAPIKey: PopinAPIKeyNone},
		{ID: "nohooks", WriteKey: "pk_nohooks", Origins: []string{testOrigin}},
		{ID: "optin", WriteKey: "pk_optin", Origins: []string{"*"}, ConsentMode: "opt_in"},
	})
}

// browserNames are every browser event of the schemas, plus the alias.
var browserNames = []string{
	"nudge_show", "nudge_open", "nudge_close", "popin_permission_given", "popin_permission_denied",
	"popin_expert_busy", "popin_call_missed", "popin_rating_done", "popin_schedule_created",
	"popin_call_end", "popin_captured", "popin_screen_change", "popin_auto_captured",
	"popin_widget_open", "popin_widget_close",
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// wireEvent is a batch entry as the SDK sends it.
type wireEvent struct {
	ID   string         `json:"id"`
	Name string         `json:"name"`
	TS   int64          `json:"ts,omitempty"`
	Seq  int64          `json:"seq,omitempty"`
	SID  string         `json:"sid,omitempty"`
	AID  string         `json:"aid,omitempty"`
	Src  string         `json:"src,omitempty"`
	Data map[string]any `json:"data,omitempty"`
	Ctx  map[string]any `json:"ctx,omitempty"`
}

func sampleData(name string) map[string]any {
	d := map[string]any{"uid": "u-" + name}
	switch name {
	case "popin_permission_given", "popin_permission_denied":
		d["audio"], d["video"] = true, false
	case "popin_rating_done":
		d["rating"], d["comment"] = 5, "great"
	case "popin_schedule_created":
		d["timezone"], d["time"] = "Asia/Kolkata", "2025-11-24 10:00"
	case "popin_call_end":
		d["callId"], d["invited"] = "c-1", false
	case "popin_captured":
		d["name"], d["email"], d["mobile"], d["country"] = "Asha", "asha@example.com", "9876543210", "IN"
	case "popin_screen_change":
		d["screen"] = "home"
	}
	return d
}

func batchJSON(t testing.TB, evs ...wireEvent) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"batch": evs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mkEvent(name string) wireEvent {
	return wireEvent{ID: newUUID(), Name: name, TS: time.Now().UnixMilli(), Seq: 7, SID: "s-1", AID: "a-1",
		Data: sampleData(name),
		Ctx:  map[string]any{"url": "https://www.acme.com/p/1", "utm": map[string]string{"source": "fb"}, "fbp": "fb.1.2.3"}}
}

//------------------------------------------------------------------------------

// testLog is the real embedded JetStream event log in t.TempDir(), with a
// reader that collects what was committed.
type testLog struct {
	*eventlog.Log
	t   testing.TB
	r   eventlog.Reader
	reg *prometheus.Registry

	mu    sync.Mutex
	byID  map[string]event.Event
	count map[string]int
}

func openTestLog(t testing.TB, mutate func(*eventlog.Config)) *testLog {
	t.Helper()
	cfg := eventlog.NewDefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	reg := prometheus.NewRegistry()
	l, err := eventlog.New(cfg, eventlog.Settings{
		NATS:       natstest.Embedded(t, t.TempDir()),
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registerer: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = l.Shutdown(ctx)
	})
	r, err := l.Reader("ingest_test")
	if err != nil {
		t.Fatal(err)
	}
	return &testLog{Log: l, t: t, r: r, reg: reg, byID: map[string]event.Event{}, count: map[string]int{}}
}

// sync reads and acks every committed segment not read yet. It is done when
// the reader's Pending, counted by the server, is 0: a short fetch wait alone
// would let a late duplicate go unseen.
func (l *testLog) sync() {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	testkit.Eventually(l.t, 10*time.Second, func() error {
		for i := 0; i < 10000; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			segs, err := l.r.Fetch(ctx, 100, 50*time.Millisecond)
			cancel()
			if err != nil {
				l.t.Fatalf("fetch: %v", err)
			}
			if len(segs) == 0 {
				break
			}
			for _, s := range segs {
				for _, e := range s.Events() {
					l.count[e.ID]++
					if _, ok := l.byID[e.ID]; !ok {
						l.byID[e.ID] = e
					}
				}
				if err := s.Ack(); err != nil {
					l.t.Fatalf("ack: %v", err)
				}
			}
		}
		if p, err := l.r.Pending(); err != nil || p != 0 {
			return fmt.Errorf("reader pending %d (%v), want 0", p, err)
		}
		return nil
	})
}

// get returns the stored event with id; Append has committed an acked
// event, so after sync it is there or was never stored.
func (l *testLog) get(id string) (event.Event, bool) {
	l.sync()
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.byID[id]
	return e, ok
}

// times is how many times id was committed (1 when deduplicated).
func (l *testLog) times(id string) int {
	l.sync()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.count[id]
}

func (l *testLog) len() int {
	l.sync()
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byID)
}

//------------------------------------------------------------------------------

type harness struct {
	t   testing.TB
	in  *Ingest
	srv *httptest.Server
	log *testLog
}

func testConfig() Config {
	cfg := NewDefaultConfig()
	cfg.RateLimit.PerIPEventsPerSecond = 0 // tests send fast from one IP
	cfg.RateLimit.PerSiteEventsPerSecond = 0
	return cfg
}

func newHarness(t testing.TB, cfg Config) *harness {
	t.Helper()
	return newHarnessWith(t, cfg, openTestLog(t, nil))
}

func newHarnessWith(t testing.TB, cfg Config, log *testLog, mutate ...func(*Settings)) *harness {
	t.Helper()
	settings := Settings{
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registerer: prometheus.NewRegistry(),
		Sites:      testSites(),
		Log:        log,
	}
	for _, m := range mutate {
		m(&settings)
	}
	in, err := New(cfg, settings)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(in.Handler())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	ServerTimeouts().Apply(srv.Config)
	srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := in.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		srv.Close()
	})
	return &harness{t: t, in: in, srv: srv, log: log}
}

func (h *harness) wsURL(key string) string {
	return "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/v1/ws?key=" + key
}

func (h *harness) dial(key, origin string) (*websocket.Conn, *http.Response, error) {
	hdr := http.Header{}
	if origin != "" {
		hdr.Set("Origin", origin)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	return d.Dial(h.wsURL(key), hdr)
}

// socketsClosed is nil once the ingest holds no WebSocket.
func (h *harness) socketsClosed() error {
	h.in.mu.Lock()
	defer h.in.mu.Unlock()
	if h.in.total != 0 {
		return fmt.Errorf("%d sockets open, want 0", h.in.total)
	}
	return nil
}

func (h *harness) mustDial(key, origin string) *websocket.Conn {
	h.t.Helper()
	c, resp, err := h.dial(key, origin)
	if err != nil {
		h.t.Fatalf("dial: %v (%v)", err, resp)
	}
	h.t.Cleanup(func() { _ = c.Close() })
	return c
}

// serverMsg is any message the server sends over the socket.
type serverMsg struct {
	Ack          []string `json:"ack"`
	Reject       []Reject `json:"reject"`
	RetryAfterMS int64    `json:"retry_after_ms"`
	Retry        []string `json:"retry"`
	ConsentMode  string   `json:"consent_mode"`
}

// readMsg reads the next message, skipping the hello ({"consent_mode":…}).
func readMsg(t testing.TB, c *websocket.Conn) (serverMsg, error) {
	t.Helper()
	for {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var m serverMsg
		_, b, err := c.ReadMessage()
		if err != nil {
			return m, err
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("server sent non-JSON %q: %v", b, err)
		}
		if m.ConsentMode == "" {
			return m, nil
		}
	}
}

// sendAndWait sends one batch and collects acks and rejects until every id
// is answered.
func sendAndWait(t testing.TB, c *websocket.Conn, frame []byte, ids []string) (acked map[string]bool, rejected map[string]Reject) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, frame); err != nil {
		t.Fatalf("write: %v", err)
	}
	acked, rejected = map[string]bool{}, map[string]Reject{}
	for len(acked)+len(rejected) < len(ids) {
		m, err := readMsg(t, c)
		if err != nil {
			t.Fatalf("read after %d acks, %d rejects of %d: %v", len(acked), len(rejected), len(ids), err)
		}
		for _, id := range m.Ack {
			acked[id] = true
		}
		for _, r := range m.Reject {
			rejected[r.ID] = r
		}
		if m.RetryAfterMS > 0 {
			t.Fatalf("unexpected retry: %+v", m)
		}
	}
	return acked, rejected
}

// expectClose reads until the socket closes and returns the close code and text.
func expectClose(t testing.TB, c *websocket.Conn) (int, string) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if ok := asCloseError(err, &ce); ok {
			return ce.Code, ce.Text
		}
		t.Fatalf("want a close frame, got %v", err)
	}
	t.Fatal("no close after 1000 messages")
	return 0, ""
}

func asCloseError(err error, ce **websocket.CloseError) bool {
	e, ok := err.(*websocket.CloseError)
	if ok {
		*ce = e
	}
	return ok
}

func postEvents(t testing.TB, url, contentType, origin string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	req.Header.Set("User-Agent", "ingest-test/1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// fullLog returns a real log of the smallest size, filled until Append
// answers ErrFull.
func fullLog(t testing.TB) *testLog {
	t.Helper()
	l := openTestLog(t, func(c *eventlog.Config) {
		c.MaxBytes = 1 << 20
		c.MaxCommitBytes = 64 << 10
	})
	// Fill with ever smaller appends so that not even a small event fits.
	for _, step := range []struct{ n, pad int }{{10, 4000}, {1, 4000}, {1, 500}, {1, 50}, {1, 0}} {
		pad := json.RawMessage(`{"pad":"` + strings.Repeat("x", step.pad) + `"}`)
		for i := 0; ; i++ {
			if i > 5000 {
				t.Fatal("log never became full")
			}
			evs := make([]event.Event, step.n)
			for j := range evs {
				evs[j] = event.Event{ID: newUUID(), SiteID: "acme", Name: "filler", Source: event.SourceBrowser,
					ReceivedAt: time.Now(), Data: pad}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := l.Append(ctx, evs)
			cancel()
			if errors.Is(err, eventlog.ErrFull) {
				break
			}
			if err != nil {
				t.Fatalf("filling the log: %v", err)
			}
		}
	}
	return l
}
