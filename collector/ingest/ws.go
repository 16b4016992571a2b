package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/internal/consent"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/site"
)

// Close codes used by /v1/ws (RFC 6455 §7.4.1).
const (
	CloseInvalidPayload = websocket.CloseInvalidFramePayloadData // 1007: not UTF-8 JSON {"batch":[…]}
	CloseTooBig         = websocket.CloseMessageTooBig           // 1009: over a size, count, depth, width or string limit
	CloseUnsupported    = websocket.CloseUnsupportedData         // 1003: binary frame
	CloseTryAgainLater  = websocket.CloseTryAgainLater           // 1013: the log cannot take events now
	CloseGoingAway      = websocket.CloseGoingAway               // 1001: shutdown
	CloseNormal         = websocket.CloseNormalClosure           // 1000: idle timeout
)

// maxCloseReason is the most bytes of a close reason (125 minus the code).
const maxCloseReason = 123

type siteCtxKey struct{}

// checkOrigin is the Upgrader's CheckOrigin: the same rule serveWS applies
// before upgrading, kept as a second line of defence. No Origin means a
// non-browser client, allowed (Origin is forgeable outside browsers).
func checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	s, _ := r.Context().Value(siteCtxKey{}).(*site.Site)
	return s != nil && s.AllowsOrigin(origin)
}

// serveWS handles GET /v1/ws?key=WRITE_KEY. Refusals before the upgrade are
// plain HTTP answers with {"error":{…}}: 401 bad_key, 403 origin, 429
// rate_limited (too many sockets from this IP), 503 unavailable (too many
// sockets in total, or shutting down).
func (in *Ingest) serveWS(w http.ResponseWriter, r *http.Request) {
	const tr = "ws"
	refusal := func(e *Error) { in.refuseHTTP(w, tr, e, 0) }
	s, ok := in.siteFor(r)
	if !ok {
		refusal(refuse(CodeBadKey, "unknown or missing write key (?key=)"))
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && !s.AllowsOrigin(origin) {
		refusal(refuse(CodeOrigin, "origin %q is not allowed for this site", trunc(origin, 100)))
		return
	}
	c := in.clientOf(r, s, tr)
	if e := in.admit(c.ip); e != nil {
		refusal(e)
		return
	}
	ws, err := in.upgrader.Upgrade(w, r.WithContext(context.WithValue(r.Context(), siteCtxKey{}, s)), nil)
	if err != nil { // the Upgrader already answered
		in.release(c.ip, nil)
		in.m.refusals.WithLabelValues(tr, string(CodeMalformed)).Inc()
		return
	}
	conn := newWSConn(in, ws, c)
	conn.send(wsOut{text: helloMessage(s)})
	in.mu.Lock()
	in.conns[conn] = struct{}{}
	in.mu.Unlock()
	in.m.conns.Inc()
	in.m.connsTotal.Inc()
	defer func() {
		in.m.conns.Dec()
		in.release(c.ip, conn)
	}()
	conn.run()
}

// helloMessage is the first message on every socket: the site's consent
// mode, {"consent_mode":"opt_out"|"opt_in"}, which the SDK needs before it
// may write to the visitor's storage or send (CONTRACT §5, issue 10.5).
func helloMessage(s *site.Site) []byte {
	return []byte(`{"consent_mode":"` + consentMode(s) + `"}`)
}

// consentMode is the site's consent_mode, opt_out when unset.
func consentMode(s *site.Site) string {
	if s.ConsentMode == consent.OptIn {
		return consent.OptIn
	}
	return consent.OptOut
}

// admit reserves a connection slot for ip, or says why not.
func (in *Ingest) admit(ip string) *Error {
	in.mu.Lock()
	defer in.mu.Unlock()
	switch {
	case in.closing:
		return refuse(CodeUnavailable, "shutting down")
	case in.total >= in.cfg.WebSocket.MaxConnections:
		return refuse(CodeUnavailable, "too many connections")
	case in.perIP[ip] >= in.cfg.WebSocket.MaxConnectionsPerIP:
		return refuse(CodeRateLimited, "too many connections from %s", ip)
	}
	in.total++
	in.perIP[ip]++
	in.connsWG.Add(1)
	return nil
}

// release frees the slot taken by admit.
func (in *Ingest) release(ip string, c *wsConn) {
	in.mu.Lock()
	in.total--
	if in.perIP[ip]--; in.perIP[ip] <= 0 {
		delete(in.perIP, ip)
	}
	if c != nil {
		delete(in.conns, c)
	}
	in.mu.Unlock()
	in.connsWG.Done()
}

//------------------------------------------------------------------------------

// wsConn is one ingest socket: the reader (run, on the HTTP handler's
// goroutine), at most one writer goroutine, which owns every write and runs
// only while there is something to write (an idle socket has none; pings
// are due on a timer), and up to MaxInFlight short-lived append goroutines.
type wsConn struct {
	in     *Ingest
	ws     *websocket.Conn
	client client

	out      chan wsOut    // to the writer; bounded
	writing  atomic.Bool   // a writer goroutine runs
	dead     chan struct{} // closed when the writer has stopped for good
	deadOnce sync.Once
	pinger   *time.Timer   // sends a ping through out every PingInterval
	sem      chan struct{} // in-flight batches
	inflight sync.WaitGroup

	lastData atomic.Int64 // unix nanos of the last batch
	stop     atomic.Pointer[wsClose]
	stopped  chan struct{} // closed by requestClose
	stopOnce sync.Once
}

type wsOut struct {
	text  []byte
	close *wsClose // write this close frame and stop
	ping  bool     // a ping is due (or the idle timeout)
}

type wsClose struct {
	code   int
	reason string
}

func newWSConn(in *Ingest, ws *websocket.Conn, c client) *wsConn {
	n := in.cfg.WebSocket.MaxInFlight
	conn := &wsConn{
		in: in, ws: ws, client: c,
		out:     make(chan wsOut, n+4),
		dead:    make(chan struct{}),
		sem:     make(chan struct{}, n),
		stopped: make(chan struct{}),
	}
	conn.lastData.Store(time.Now().UnixNano())
	return conn
}

// requestClose asks the reader to stop and close with code (first request
// wins). Safe from any goroutine.
func (c *wsConn) requestClose(code int, reason string) {
	c.stop.CompareAndSwap(nil, &wsClose{code: code, reason: reason})
	c.stopOnce.Do(func() {
		close(c.stopped)
		_ = c.ws.NetConn().SetReadDeadline(time.Now()) // unblock ReadMessage
	})
}

// run is the reader. It returns when the socket is finished.
func (c *wsConn) run() {
	cfg := c.in.cfg.WebSocket
	c.ws.SetReadLimit(int64(c.in.lim.MaxBatchBytes))
	_ = c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
	c.ws.SetPongHandler(func(string) error {
		if c.stop.Load() != nil {
			return nil
		}
		return c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
	})
	c.pinger = time.AfterFunc(cfg.PingInterval, func() { c.send(wsOut{ping: true}) })
	defer c.pinger.Stop()

	final := c.readLoop()

	// Let in-flight batches finish (each bounded by AppendTimeout) so their
	// acks go out before the close frame.
	c.inflight.Wait()
	if final != nil {
		c.send(wsOut{close: final})
	} else {
		c.send(wsOut{close: &wsClose{code: -1}}) // stop the writer without a close frame
	}
	select {
	case <-c.dead:
	case <-time.After(cfg.WriteTimeout + time.Second):
	}
	if final != nil && final.code > 0 {
		c.linger()
	}
	_ = c.ws.Close()
}

// readLoop reads frames until the socket must close; it returns the close
// frame to send, or nil when none can or need be sent. Each frame's buffer
// goes back to frameBufs after its append, or at once when it has nothing
// to append; a frame that ends the loop leaves its buffer to the GC.
func (c *wsConn) readLoop() *wsClose {
	in, cfg := c.in, c.in.cfg.WebSocket
	for {
		mt, buf, err := readFrame(c.ws)
		if st := c.stop.Load(); st != nil {
			return st
		}
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				// gorilla has already sent 1009; no other frame may follow.
				in.m.refusals.WithLabelValues(c.client.transport, string(CodeTooLarge)).Inc()
				c.linger()
				return nil
			}
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return &wsClose{code: websocket.CloseNormalClosure} // echo the client's close
			}
			return nil // timeout (no pong) or broken connection
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
		if st := c.stop.Load(); st != nil { // asked to stop while we renewed the deadline
			return st
		}
		if mt != websocket.TextMessage {
			e := refuse(CodeMalformed, "binary frames are not supported").withClose(CloseUnsupported)
			in.m.refusals.WithLabelValues(c.client.transport, string(e.Code)).Inc()
			return e.wsClose()
		}
		c.lastData.Store(time.Now().UnixNano())
		in.m.batches.WithLabelValues(c.client.transport).Inc()
		items, perr := ParseBatch(buf.Bytes(), in.lim)
		if perr != nil {
			in.m.refusals.WithLabelValues(c.client.transport, string(perr.Code)).Inc()
			return perr.wsClose()
		}
		now := in.now()
		evs, wire, rejects := in.prepare(c.client, items, now)
		if len(evs) > 0 {
			if wait := in.rateLimit(c.client, len(evs), now); wait > 0 {
				// Over the limit is "not now", not "never" (CONTRACT §5):
				// neither acked nor rejected; the client keeps the events.
				in.m.refusals.WithLabelValues(c.client.transport, string(CodeRateLimited)).Inc()
				evs = nil
				if !c.send(wsOut{text: retryMessage(wait, wire)}) {
					return nil
				}
			}
		}
		if len(rejects) > 0 {
			in.countRejects(c.client.transport, rejects)
			b, _ := json.Marshal(struct {
				Reject []Reject `json:"reject"`
			}{rejects})
			if !c.send(wsOut{text: b}) {
				return nil
			}
		}
		if len(evs) == 0 {
			putFrame(buf) // rejects and retries hold copies, not buf's bytes
			continue
		}
		select {
		case c.sem <- struct{}{}:
		case <-c.stopped:
			return c.stop.Load()
		}
		c.inflight.Add(1)
		go c.append(evs, wire, buf)
	}
}

// append stores one batch and acks it, or asks the client to retry later;
// wire are the events' ids as sent; buf is the frame evs alias, handed back
// once commit returned. It writes the answer itself when no writer runs.
func (c *wsConn) append(evs []event.Event, wire []string, buf *bytes.Buffer) {
	defer c.inflight.Done()
	defer func() { <-c.sem }()
	err := c.in.commit(context.Background(), c.client, evs)
	putFrame(buf)
	if errors.Is(err, eventlog.ErrTooLarge) { // permanent: an event the log can never hold
		rejects := make([]Reject, len(evs))
		for i := range evs {
			rejects[i] = Reject{ID: wire[i], Code: CodeTooLarge, Error: "batch holds an event larger than the event log accepts"}
		}
		c.in.countRejects(c.client.transport, rejects)
		b, _ := json.Marshal(struct {
			Reject []Reject `json:"reject"`
		}{rejects})
		c.sendInline(wsOut{text: b})
		return
	}
	if err != nil {
		retry := c.in.cfg.RetryAfter
		e := refuse(CodeUnavailable, "retry_after_ms=%d", retry.Milliseconds())
		c.in.m.refusals.WithLabelValues(c.client.transport, string(e.Code)).Inc()
		c.send(wsOut{text: retryMessage(retry, wire)}) // the close request must not wait for the write
		c.requestClose(e.closeCode(), e.Error())
		return
	}
	c.sendInline(wsOut{text: ackMessage(wire)})
}

// linger drains what the client still sends for a moment after our close
// frame, so that closing the TCP connection does not reset it before the
// client has read the close frame.
func (c *wsConn) linger() {
	nc := c.ws.NetConn()
	_ = nc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	_, _ = io.CopyN(io.Discard, nc, int64(2*c.in.lim.MaxBatchBytes))
}

func closeReason(s string) string {
	if len(s) <= maxCloseReason {
		return s
	}
	return strings.ToValidUTF8(s[:maxCloseReason], "")
}

// ackMessage is {"ack":[ids]}; ids are validated UUIDs, so need no escaping.
func ackMessage(ids []string) []byte {
	b := make([]byte, 0, 10+len(ids)*39)
	b = append(b, `{"ack":[`...)
	for i := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, ids[i]...)
		b = append(b, '"')
	}
	return append(b, "]}"...)
}

// retryMessage is {"retry_after_ms":N,"retry":[ids]}: these events were
// neither stored nor rejected; the client keeps them and resends after N ms.
func retryMessage(d time.Duration, ids []string) []byte {
	b := []byte(`{"retry_after_ms":` + strconv.FormatInt(d.Milliseconds(), 10) + `,"retry":[`)
	for i := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, ids[i]...)
		b = append(b, '"')
	}
	return append(b, "]}"...)
}
