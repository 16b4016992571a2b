package ingest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/popinbridge/bridge/collector/event"
	"github.com/popinbridge/bridge/collector/site"
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
	return wireEvent{ID: newUUID(), Name: name, TS: 1763920000123, Seq: 7, SID: "s-1", AID: "a-1",
		Data: sampleData(name),
		Ctx:  map[string]any{"url": "https://www.acme.com/p/1", "utm": map[string]string{"source": "fb"}, "fbp": "fb.1.2.3"}}
}

//------------------------------------------------------------------------------

// memLog is an in-memory Appender that deduplicates by id, counts appends per
// id and can be told to fail.
type memLog struct {
	mu      sync.Mutex
	byID    map[string]event.Event
	appends map[string]int
	fail    atomic.Pointer[error]
}

func newMemLog() *memLog {
	return &memLog{byID: map[string]event.Event{}, appends: map[string]int{}}
}

func (m *memLog) Append(_ context.Context, evs []event.Event) error {
	if e := m.fail.Load(); e != nil {
		return *e
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range evs {
		m.appends[e.ID]++
		if _, ok := m.byID[e.ID]; !ok {
			m.byID[e.ID] = e
		}
	}
	return nil
}

func (m *memLog) get(id string) (event.Event, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.byID[id]
	return e, ok
}

func (m *memLog) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byID)
}

//------------------------------------------------------------------------------

type harness struct {
	t   testing.TB
	in  *Ingest
	srv *httptest.Server
	log *memLog
}

func testConfig() Config {
	cfg := NewDefaultConfig()
	cfg.RateLimit.PerIPEventsPerSecond = 0 // tests send fast from one IP
	cfg.RateLimit.PerSiteEventsPerSecond = 0
	return cfg
}

func fakeHook(siteID string, body []byte, receivedAt time.Time) (event.Event, error) {
	var b struct {
		Event  string          `json:"event"`
		UserID string          `json:"user_id"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.Event == "" {
		return event.Event{}, fmt.Errorf("event: required")
	}
	return event.Event{ID: newUUID(), SiteID: siteID, Name: b.Event, Source: event.SourcePopinServer,
		UID: b.UserID, ReceivedAt: receivedAt, Data: json.RawMessage(body)}, nil
}

func newHarness(t testing.TB, cfg Config) *harness {
	t.Helper()
	log := newMemLog()
	in, err := New(cfg, Settings{
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sites:     testSites(),
		Log:       log,
		PopinHook: fakeHook,
	})
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
}

func readMsg(t testing.TB, c *websocket.Conn) (serverMsg, error) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m serverMsg
	_, b, err := c.ReadMessage()
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("server sent non-JSON %q: %v", b, err)
	}
	return m, nil
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

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
