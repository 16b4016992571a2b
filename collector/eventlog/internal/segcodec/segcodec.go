// Package segcodec encodes a group of events committed together (a segment)
// into one log message, and decodes it again.
//
// Format v1:
//
//	0x01                                   version
//	repeated record:
//	  uvarint len, site id bytes
//	  uvarint len, event id bytes
//	  uvarint len, event JSON (encoding/json of event.Event)
//	4 bytes big-endian CRC-32C of everything before it
//
// Site and event IDs are stored beside the JSON so that rebuilding the dedup
// index at start walks a segment without parsing JSON.
package segcodec

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/popinbridge/bridge/collector/event"
)

// Version is the format byte written at the start of every segment.
const Version byte = 1

// ErrCorrupt means a segment could not be decoded: bad version, truncated
// record or checksum mismatch. It is permanent for that segment.
var ErrCorrupt = errors.New("corrupt segment")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Record is one event encoded for a segment.
type Record []byte

// EncodeRecord encodes e as one record.
func EncodeRecord(e *event.Event) (Record, error) {
	js, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode event %q: %w", e.ID, err)
	}
	b := make([]byte, 0, len(js)+len(e.SiteID)+len(e.ID)+3*binary.MaxVarintLen32)
	b = appendBytes(b, []byte(e.SiteID))
	b = appendBytes(b, []byte(e.ID))
	b = appendBytes(b, js)
	return b, nil
}

func appendBytes(dst, p []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(p)))
	return append(dst, p...)
}

// Builder accumulates records into a segment. The zero value is ready.
type Builder struct {
	buf []byte
	n   int
}

// Add appends a record.
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

// Walk checks seg and calls fn for each record with its site id, event id and
// JSON. The slices alias seg. It stops at the first error fn returns.
func Walk(seg []byte, fn func(site, id, js []byte) error) error {
	if len(seg) < 5 {
		return fmt.Errorf("%w: %d bytes", ErrCorrupt, len(seg))
	}
	if seg[0] != Version {
		return fmt.Errorf("%w: unknown version %d", ErrCorrupt, seg[0])
	}
	body, sum := seg[:len(seg)-4], binary.BigEndian.Uint32(seg[len(seg)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	p := body[1:]
	for len(p) > 0 {
		var fields [3][]byte
		for i := range fields {
			n, k := binary.Uvarint(p)
			if k <= 0 || n > uint64(len(p)-k) {
				return fmt.Errorf("%w: truncated record", ErrCorrupt)
			}
			fields[i] = p[k : k+int(n)]
			p = p[k+int(n):]
		}
		if err := fn(fields[0], fields[1], fields[2]); err != nil {
			return err
		}
	}
	return nil
}

// Decode returns the events of seg.
func Decode(seg []byte) ([]event.Event, error) {
	var out []event.Event
	err := Walk(seg, func(_, id, js []byte) error {
		var e event.Event
		if err := json.Unmarshal(js, &e); err != nil {
			return fmt.Errorf("%w: event %q: %v", ErrCorrupt, id, err)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}
