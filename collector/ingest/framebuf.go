package ingest

import (
	"bytes"
	"sync"

	"github.com/gorilla/websocket"
)

// frameBufs recycles the buffers WebSocket frames are read into, so that a
// busy socket does not allocate and regrow one per frame (gorilla's
// ReadMessage does). A frame's events alias its buffer (Item.Data), so a
// buffer goes back only once nothing refers to it: when the frame's append
// has returned (the event log encodes events before Append returns), or at
// once when the frame produced nothing to append. Only a frame that arrived
// takes a buffer: an idle socket holds none.
var frameBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledFrame is the largest buffer kept for reuse; rarer bigger frames
// leave theirs to the garbage collector.
const maxPooledFrame = 64 << 10

// readFrame reads the next message as ReadMessage does, into a pooled
// buffer the caller hands back with putFrame.
func readFrame(ws *websocket.Conn) (int, *bytes.Buffer, error) {
	mt, r, err := ws.NextReader()
	if err != nil {
		return mt, nil, err
	}
	b := frameBufs.Get().(*bytes.Buffer)
	b.Reset()
	if _, err := b.ReadFrom(r); err != nil {
		putFrame(b)
		return mt, nil, err
	}
	return mt, b, nil
}

// putFrame returns b (nil is ignored) for reuse; nothing may refer to its
// bytes any more.
func putFrame(b *bytes.Buffer) {
	if b != nil && b.Cap() <= maxPooledFrame {
		frameBufs.Put(b)
	}
}
