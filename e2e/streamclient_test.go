package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
)

// streamClient is an at-least-once load client speaking CONTRACT §5: it
// sends batches over one WebSocket, keeps every event until acked, and on any
// connection failure reconnects and resends what was not acked.
type streamClient struct {
	url, origin string
	// failover: more ws URLs, tried in turn after a connection fails
	// (withFailover); cur indexes urls.
	urls     []string
	cur      int
	mu       sync.Mutex
	unacked  map[string][]byte // id → encoded event
	order    []string
	acked    map[string]bool
	rejected map[string]string
}

func newStreamClient(addr, key, origin string, n int, name string) *streamClient {
	c := &streamClient{
		url:      fmt.Sprintf("ws://%s/v1/ws?key=%s", addr, key),
		origin:   origin,
		unacked:  map[string][]byte{},
		acked:    map[string]bool{},
		rejected: map[string]string{},
	}
	now := time.Now().UnixMilli()
	for i := 0; i < n; i++ {
		id := uuid.NewString()
		ev := map[string]any{
			"id": id, "name": name, "ts": now + int64(i), "seq": i, "sid": "s-1", "aid": "a-1",
			"data": map[string]any{"uid": "u-" + fmt.Sprint(i%97), "screen": "home"},
			"ctx":  map[string]any{"url": "http://127.0.0.1/p", "title": "load"},
		}
		b, _ := json.Marshal(ev)
		c.unacked[id] = b
		c.order = append(c.order, id)
	}
	return c
}

// withFailover adds bridge nodes the client moves to, in turn, whenever a
// connection fails, resending what was not acked.
func (c *streamClient) withFailover(key string, addrs ...string) *streamClient {
	c.urls = []string{c.url}
	for _, a := range addrs {
		c.urls = append(c.urls, fmt.Sprintf("ws://%s/v1/ws?key=%s", a, key))
	}
	return c
}

func (c *streamClient) target() string {
	if len(c.urls) == 0 {
		return c.url
	}
	return c.urls[c.cur]
}

func (c *streamClient) rotate() {
	if len(c.urls) > 0 {
		c.cur = (c.cur + 1) % len(c.urls)
	}
}

func (c *streamClient) pending() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, id := range c.order {
		if _, ok := c.unacked[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

func (c *streamClient) ackedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.acked)
}

// run sends until everything is acked or rejected, or deadline passes.
// Each connection attempt sends every pending event (batches of batchSize)
// and reads acks until the connection fails or nothing is pending.
func (c *streamClient) run(t *testing.T, batchSize int, deadline time.Time, onProgress func(acked int)) {
	t.Helper()
	for time.Now().Before(deadline) {
		pend := c.pending()
		if len(pend) == 0 {
			return
		}
		h := http.Header{}
		if c.origin != "" {
			h.Set("Origin", c.origin)
		}
		conn, _, err := websocket.DefaultDialer.Dial(c.target(), h)
		if err != nil {
			c.rotate()
			time.Sleep(100 * time.Millisecond)
			continue
		}
		c.session(conn, pend, batchSize, deadline, onProgress)
		conn.Close()
		c.rotate()
	}
	if p := c.pending(); len(p) > 0 {
		t.Errorf("deadline passed with %d events unacked", len(p)) // Errorf: run may be on its own goroutine
	}
}

func (c *streamClient) session(conn *websocket.Conn, pend []string, batchSize int, deadline time.Time, onProgress func(int)) {
	readErr := make(chan error, 1)
	go func() {
		for {
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, msg, err := conn.ReadMessage()
			if err != nil {
				readErr <- err
				return
			}
			var m struct {
				Ack    []string `json:"ack"`
				Reject []struct {
					ID, Code, Error string
				} `json:"reject"`
			}
			if json.Unmarshal(msg, &m) != nil {
				continue
			}
			c.mu.Lock()
			for _, id := range m.Ack {
				delete(c.unacked, id)
				c.acked[id] = true
			}
			for _, r := range m.Reject {
				delete(c.unacked, r.ID)
				c.rejected[r.ID] = r.Code
			}
			n := len(c.acked)
			c.mu.Unlock()
			if onProgress != nil {
				onProgress(n)
			}
		}
	}()
	for i := 0; i < len(pend); i += batchSize {
		j := min(i+batchSize, len(pend))
		c.mu.Lock()
		var items []json.RawMessage
		for _, id := range pend[i:j] {
			if b, ok := c.unacked[id]; ok {
				items = append(items, b)
			}
		}
		c.mu.Unlock()
		if len(items) == 0 {
			continue
		}
		frame, _ := json.Marshal(map[string]any{"batch": items})
		conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if err := conn.WriteMessage(websocket.TextMessage, frame); err != nil {
			return
		}
		select {
		case <-readErr:
			return
		default:
		}
	}
	// Wait for acks of what was sent, or a failure. After 10s without
	// progress, reconnect and resend.
	last, lastChange := c.ackedCount(), time.Now()
	for time.Now().Before(deadline) && time.Since(lastChange) < 10*time.Second {
		if len(c.pending()) == 0 {
			return
		}
		select {
		case <-readErr:
			return
		case <-time.After(50 * time.Millisecond):
		}
		if n := c.ackedCount(); n != last {
			last, lastChange = n, time.Now()
		}
	}
}
