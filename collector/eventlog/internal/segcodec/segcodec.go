// Package segcodec encodes a group of events committed together (a segment)
// into one log message, and decodes it again.
//
// Segment layout (both versions):
//
//	version byte                           1 or 2; every record of a segment has that format
//	repeated record:
//	  uvarint len, site id bytes
//	  uvarint len, event id bytes
//	  uvarint len, event body
//	4 bytes big-endian CRC-32C of everything before it
//
// Site and event IDs are stored beside the body so that rebuilding the dedup
// index at start walks a segment without decoding events.
//
// Version 2 (written today) has a compact binary body, see record.go: it is
// several times cheaper to encode and decode than JSON and keeps Data byte for
// byte as received. Version 1 bodies are encoding/json of event.Event; they are
// still decoded (v1.go) so that segments written before version 2 stay readable.
package segcodec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/popinbridge/bridge/internal/event"
)

// Version is the format byte written at the start of every new segment.
const Version byte = versionBinary

const (
	versionJSON   byte = 1 // body: encoding/json of event.Event (read only)
	versionBinary byte = 2 // body: binary record, see record.go
)

// ErrCorrupt means a segment could not be decoded: bad version, truncated
// record, malformed body or checksum mismatch. It is permanent for that segment.
var ErrCorrupt = errors.New("corrupt segment")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Record is one event encoded for a segment of the current Version.
type Record []byte

func appendBytes(dst, p []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(p)))
	return append(dst, p...)
}

// Builder accumulates records into a segment. The zero value is ready.
type Builder struct {
	buf []byte
	n   int
}

// Reset empties b to build a new segment in buf's storage (nil allocates
// on the first Add). buf must no longer be in use elsewhere.
func (b *Builder) Reset(buf []byte) {
	b.buf, b.n = nil, 0
	if buf != nil {
		b.buf = append(buf[:0], Version)
	}
}

// Add appends a record made by EncodeRecord.
func (b *Builder) Add(r Record) {
	if b.buf == nil {
		b.buf = append(make([]byte, 0, 4096), Version)
	}
	b.buf = append(b.buf, r...)
	b.n++
}

// Len is the number of records added.
func (b *Builder) Len() int { return b.n }

// Size is the encoded size so far, without the checksum.
func (b *Builder) Size() int { return len(b.buf) }

// Finish returns the complete segment; the Builder must not be used after.
func (b *Builder) Finish() []byte {
	if b.buf == nil {
		b.buf = []byte{Version}
	}
	return binary.BigEndian.AppendUint32(b.buf, crc32.Checksum(b.buf, castagnoli))
}

// open checks seg's version and checksum and returns its version and records.
func open(seg []byte) (byte, []byte, error) {
	if len(seg) < 5 {
		return 0, nil, fmt.Errorf("%w: %d bytes", ErrCorrupt, len(seg))
	}
	if v := seg[0]; v != versionJSON && v != versionBinary {
		return 0, nil, fmt.Errorf("%w: unknown version %d", ErrCorrupt, v)
	}
	body, sum := seg[:len(seg)-4], binary.BigEndian.Uint32(seg[len(seg)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return 0, nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	return seg[0], body[1:], nil
}

// next splits the first record off p.
func next(p []byte) (site, id, body, rest []byte, err error) {
	var fields [3][]byte
	for i := range fields {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			return nil, nil, nil, nil, fmt.Errorf("%w: truncated record", ErrCorrupt)
		}
		fields[i] = p[k : k+int(n)]
		p = p[k+int(n):]
	}
	return fields[0], fields[1], fields[2], p, nil
}

// Walk checks seg and calls fn for each record with its site id, event id and
// body (whose format depends on the segment's version). The slices alias seg.
// It stops at the first error fn returns.
func Walk(seg []byte, fn func(site, id, body []byte) error) error {
	_, p, err := open(seg)
	if err != nil {
		return err
	}
	for len(p) > 0 {
		site, id, body, rest, err := next(p)
		if err != nil {
			return err
		}
		if err := fn(site, id, body); err != nil {
			return err
		}
		p = rest
	}
	return nil
}

// Decode returns the events of seg, of either version. The events do not
// alias seg. Any malformed input gives an error wrapping ErrCorrupt.
func Decode(seg []byte) ([]event.Event, error) {
	v, p, err := open(seg)
	if err != nil {
		return nil, err
	}
	n := 0
	for q := p; len(q) > 0; n++ {
		if _, _, _, q, err = next(q); err != nil {
			return nil, err
		}
	}
	if n == 0 {
		return nil, nil
	}
	out := make([]event.Event, n)
	for i := range out {
		_, id, body, rest, _ := next(p)
		if v == versionJSON {
			err = decodeJSON(&out[i], body)
		} else {
			err = decodeBinary(&out[i], p[:len(p)-len(rest)])
		}
		p = rest
		if err != nil {
			return nil, fmt.Errorf("%w: event %q: %v", ErrCorrupt, id, err)
		}
	}
	return out, nil
}
