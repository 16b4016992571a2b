package ingest

import (
	"time"

	"github.com/gorilla/websocket"
)

// send hands a message to the writer unless it has stopped, starting one
// if none runs.
func (c *wsConn) send(m wsOut) bool {
	select {
	case c.out <- m:
		if c.writing.CompareAndSwap(false, true) {
			go c.writer()
		}
		return true
	case <-c.dead:
		return false
	}
}

// sendInline is send for an append goroutine, which may write itself:
// when no writer runs, the caller becomes the writer until out is empty,
// sparing each ack the hand-off to a new goroutine (a scheduling delay on a
// busy machine). The reader uses send: it must not wait for a slow client.
func (c *wsConn) sendInline(m wsOut) bool {
	select {
	case c.out <- m:
		if c.writing.CompareAndSwap(false, true) {
			c.writer()
		}
		return true
	case <-c.dead:
		return false
	}
}

// finish marks the writer stopped for good.
func (c *wsConn) finish() { c.deadOnce.Do(func() { close(c.dead) }) }

// writer owns every write to the socket: messages, pings, the close frame.
// It runs on its own goroutine (send) or on an append goroutine
// (sendInline), one at a time. It returns when out is empty (the next send
// starts another) or for good, after the close frame or a failed write.
func (c *wsConn) writer() {
	cfg := c.in.cfg.WebSocket
	for {
		select {
		case <-c.dead:
			return
		default:
		}
		var m wsOut
		select {
		case m = <-c.out:
		default:
			c.writing.Store(false)
			// A send between the receive above and the Store left its
			// message to this writer.
			if len(c.out) == 0 || !c.writing.CompareAndSwap(false, true) {
				return
			}
			continue
		}
		switch {
		case m.close != nil:
			if m.close.code > 0 {
				_ = c.ws.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(m.close.code, closeReason(m.close.reason)),
					time.Now().Add(cfg.WriteTimeout))
			}
			c.finish()
			return
		case m.ping:
			if idle := time.Since(time.Unix(0, c.lastData.Load())); idle > cfg.IdleTimeout {
				c.requestClose(CloseNormal, "idle timeout")
				continue // the reader now sends the close frame through out
			}
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(cfg.WriteTimeout)); err != nil {
				c.requestClose(-1, "")
				c.finish()
				return
			}
			c.pinger.Reset(cfg.PingInterval)
		default:
			_ = c.ws.SetWriteDeadline(time.Now().Add(cfg.WriteTimeout))
			if err := c.ws.WriteMessage(websocket.TextMessage, m.text); err != nil {
				c.requestClose(-1, "")
				c.finish()
				return
			}
		}
	}
}
