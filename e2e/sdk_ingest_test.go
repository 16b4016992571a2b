package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	widgetsdk "github.com/popinbridge/bridge/widget-sdk"
)

// sdkIngest is what the browser tests need from the server under test: the
// SDK, the ingest protocol of CONTRACT §5, a record of what arrived, and a
// way to take the server away and bring it back on the same address.
//
// fakeIngest implements it in-process. To run the same tests against the
// real bridge, implement it on a `bridge serve` process (BaseURL = its
// listen address, Received read from ClickHouse or the event log, Stop/Start
// = stop and restart the process) and return it from newSDKIngest.
type sdkIngest interface {
	// BaseURL is the origin serving /sdk.js, /v1/ws and /v1/events.
	BaseURL() string
	// Key is a write key the server accepts for pages on any 127.0.0.1 port.
	Key() string
	// Received maps each event id that arrived to what arrived.
	Received() map[string]receivedEvent
	// Stop makes the server unreachable; Start brings it back on the same address.
	Stop(t *testing.T)
	Start(t *testing.T)
}

// receivedEvent is one event as the server got it. Count is how many times
// it came over the wire (0 when the server under test cannot tell).
type receivedEvent struct {
	Name  string          `json:"name"`
	Src   string          `json:"src"`
	Seq   int64           `json:"seq"`
	Sid   string          `json:"sid"`
	Aid   string          `json:"aid"`
	Data  json.RawMessage `json:"data"`
	Ctx   json.RawMessage `json:"ctx"`
	Count int             `json:"-"`
	Via   []string        `json:"-"` // "ws" or "http", per arrival

	UserID string `json:"-"` // ctx.user_id (PopinBridge.identify), as stored
	IP     string `json:"-"` // the client IP as stored (bridge only)
}

// newSDKIngest starts the server the browser tests talk to: the real bridge
// binary with a real ClickHouse (sdk_bridge_test.go). Tests that need to
// script the server's answers call startFakeIngest instead.
var newSDKIngest = func(t *testing.T) sdkIngest { return startBridgeIngest(t) }

// fakeIngest speaks the SDK's protocol: it acks every event by id, rejects
// events whose name starts with "reject_", and records what it got. It also
// serves /sdk.js from widgetsdk.Handler.
type fakeIngest struct {
	key  string
	addr string

	mu    sync.Mutex
	got   map[string]*receivedEvent
	srv   *http.Server
	conns map[*websocket.Conn]bool
	up    bool

	// Push-back knobs, set by tests under mu.
	blockWS     bool // refuse WebSocket upgrades (403), as a blocking proxy would
	retryFrames int  // answer this many next frames with retry_after_ms and close 1013
	busyPosts   int  // answer this many next POSTs with 503 Retry-After: 1
	pushedBack  int  // frames and POSTs answered with a retry so far

	consentMode string // announced to the SDK (hello, HTTP answers); "" is opt_out
	hellos      int    // sockets that got the hello
}

// mode is the consent_mode the fake announces.
func (f *fakeIngest) mode() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.consentMode == "" {
		return "opt_out"
	}
	return f.consentMode
}

// set changes the push-back knobs under the lock.
func (f *fakeIngest) set(fn func(f *fakeIngest)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeIngest) pushed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pushedBack
}

// takeRetry reports whether this request must be answered with a retry.
func (f *fakeIngest) takeRetry(n *int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if *n <= 0 {
		return false
	}
	*n--
	f.pushedBack++
	return true
}

var fakeSeq atomic.Int64

func startFakeIngest(t *testing.T) *fakeIngest {
	// A key of its own: the browser profile (and its localStorage outbox,
	// kept per key) is shared by all tests of the binary.
	f := &fakeIngest{key: fmt.Sprintf("pk_fake%d", fakeSeq.Add(1)), got: map[string]*receivedEvent{}, conns: map[*websocket.Conn]bool{}}
	f.Start(t)
	t.Cleanup(func() { f.Stop(t) })
	return f
}

func (f *fakeIngest) BaseURL() string { return "http://" + f.addr }
func (f *fakeIngest) Key() string     { return f.key }

func (f *fakeIngest) Received() map[string]receivedEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]receivedEvent, len(f.got))
	for id, e := range f.got {
		c := *e
		c.Via = append([]string(nil), e.Via...)
		out[id] = c
	}
	return out
}

// Start listens on 127.0.0.1 (the same port as before after a Stop).
func (f *fakeIngest) Start(t *testing.T) {
	t.Helper()
	addr := f.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; {
		if ln, err = net.Listen("tcp", addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("fake ingest: listen %s: %v", addr, err)
	}
	f.addr = ln.Addr().String()
	mux := http.NewServeMux()
	mux.Handle("/sdk.js", widgetsdk.Handler())
	mux.HandleFunc("/v1/ws", f.serveWS)
	mux.HandleFunc("/v1/events", f.serveHTTP)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	f.mu.Lock()
	f.srv, f.up = srv, true
	f.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Stop closes the listener and every WebSocket.
func (f *fakeIngest) Stop(t *testing.T) {
	f.mu.Lock()
	srv := f.srv
	f.srv, f.up = nil, false
	conns := f.conns
	f.conns = map[*websocket.Conn]bool{}
	f.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
	for c := range conns {
		_ = c.Close()
	}
}

// record stores a batch and answers which ids are acked and which rejected.
func (f *fakeIngest) record(body []byte, via string) (ack []string, reject []map[string]string, err error) {
	var b struct {
		Batch []json.RawMessage `json:"batch"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.Batch == nil {
		return nil, nil, errors.New("malformed batch")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, raw := range b.Batch {
		var e struct {
			ID string `json:"id"`
			receivedEvent
		}
		if err := json.Unmarshal(raw, &e); err != nil || e.ID == "" {
			reject = append(reject, map[string]string{"id": e.ID, "code": "invalid_event", "error": "id: required"})
			continue
		}
		if strings.HasPrefix(e.Name, "reject_") {
			reject = append(reject, map[string]string{"id": e.ID, "code": "invalid_event", "error": "name: rejected by the test server"})
		} else {
			ack = append(ack, e.ID)
		}
		r := f.got[e.ID]
		if r == nil {
			var c struct {
				UserID string `json:"user_id"`
			}
			_ = json.Unmarshal(e.Ctx, &c)
			e.UserID = c.UserID
			r = &e.receivedEvent
			f.got[e.ID] = r
		}
		r.Count++
		r.Via = append(r.Via, via)
	}
	return ack, reject, nil
}

var fakeUpgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (f *fakeIngest) serveWS(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("key") != f.key {
		http.Error(w, `{"error":{"code":"bad_key"}}`, http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	blocked := f.blockWS
	f.mu.Unlock()
	if blocked {
		http.Error(w, "websockets blocked", http.StatusForbidden)
		return
	}
	c, err := fakeUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	f.mu.Lock()
	if !f.up {
		f.mu.Unlock()
		_ = c.Close()
		return
	}
	f.conns[c] = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.conns, c)
		f.mu.Unlock()
		_ = c.Close()
	}()
	c.SetReadLimit(512 << 10)
	// The hello: the site's consent mode, first on every socket.
	if err := c.WriteJSON(map[string]any{"consent_mode": f.mode()}); err != nil {
		return
	}
	f.set(func(f *fakeIngest) { f.hellos++ })
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		if f.takeRetry(&f.retryFrames) {
			_ = c.WriteJSON(map[string]any{"retry_after_ms": 300})
			_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "retry_after_ms=300"), time.Now().Add(time.Second))
			return
		}
		ack, reject, err := f.record(msg, "ws")
		if err != nil {
			_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseInvalidFramePayloadData, "malformed"), time.Now().Add(time.Second))
			return
		}
		if len(ack) > 0 {
			if err := c.WriteJSON(map[string]any{"ack": ack}); err != nil {
				return
			}
		}
		if len(reject) > 0 {
			if err := c.WriteJSON(map[string]any{"reject": reject}); err != nil {
				return
			}
		}
	}
}

func (f *fakeIngest) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" {
		w.Header().Set("Access-Control-Allow-Origin", o)
		w.Header().Set("Access-Control-Expose-Headers", "Retry-After") // else the SDK cannot read it
		w.Header().Set("Vary", "Origin")
	}
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Query().Get("key") != f.key {
		http.Error(w, `{"error":{"code":"bad_key"}}`, http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 512<<10))
	if err != nil {
		return
	}
	if f.takeRetry(&f.busyPosts) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"error":{"code":"unavailable"}}`, http.StatusServiceUnavailable)
		return
	}
	ack, reject, err := f.record(body, "http")
	if err != nil {
		http.Error(w, `{"error":{"code":"malformed"}}`, http.StatusBadRequest)
		return
	}
	if ack == nil {
		ack = []string{}
	}
	if reject == nil {
		reject = []map[string]string{}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"accepted": ack, "rejected": reject, "consent_mode": f.mode()})
}
