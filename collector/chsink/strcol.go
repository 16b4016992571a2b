package chsink

import (
	"slices"
	"unsafe"
)

// Sizes of a strCol's chunks: each new chunk holds about as much as the
// column already does, within these bounds (or one larger value).
const (
	minChunk = 4 << 10
	maxChunk = 1 << 20
)

// strCol is a String column held as byte chunks plus each row's end
// offset in the chunks' concatenation: appending a value is one copy, and
// the column holds no pointer per row, so a full batch costs the garbage
// collector nothing to scan. A value lies within one chunk. When a value
// does not fit, a new chunk is started; filled chunks are never copied
// (growing one buffer by doubling copied and cleared about three times a
// first batch's bytes), and reset keeps every chunk for the next batch.
// Offsets are 32-bit: a batch is handed on at batch_bytes (at most 1 GiB)
// plus one fetch, so a column stays far below 4 GiB.
type strCol struct {
	buf    []byte   // the chunk being filled, chunks[cur] (whose slice header may be stale)
	off    uint32   // offset of buf[0]
	cur    int      // index of buf in chunks; chunks past it are spare
	chunks [][]byte // every chunk, filled ones first
	base   []uint32 // offset of chunks[k][0], for k <= cur
	end    []uint32 // end offset of each row
}

// add appends one row.
func (c *strCol) add(s string) {
	if len(c.buf)+len(s) > cap(c.buf) {
		c.next(len(s))
	}
	c.buf = append(c.buf, s...)
	c.seal()
}

// room makes room for n more bytes in buf, for callers that append to buf
// themselves (then seal). Appending past it stays correct: buf is then
// reallocated, copying only this chunk.
func (c *strCol) room(n int) {
	if len(c.buf)+n > cap(c.buf) {
		c.next(n)
	}
}

// seal records the row whose bytes were appended to c.buf since the last row.
func (c *strCol) seal() {
	if len(c.end) == cap(c.end) {
		c.end = grow(c.end, 1)
	}
	c.end = append(c.end, c.off+uint32(len(c.buf)))
}

// next closes the current chunk and continues in a spare chunk or a new
// one with room for at least n bytes.
func (c *strCol) next(n int) {
	off := uint32(0)
	if len(c.chunks) > 0 {
		c.chunks[c.cur] = c.buf
		off = c.off + uint32(len(c.buf))
		c.cur++
	}
	c.off = off
	if c.cur < len(c.chunks) && cap(c.chunks[c.cur]) >= n {
		c.buf = c.chunks[c.cur][:0]
		c.base[c.cur] = off
		return
	}
	c.buf = make([]byte, 0, max(n, min(max(int(off), minChunk), maxChunk)))
	if c.cur < len(c.chunks) { // a spare chunk too small for this value: replaced
		c.chunks[c.cur], c.base[c.cur] = c.buf, off
		return
	}
	c.chunks = append(c.chunks, c.buf)
	c.base = append(c.base, off)
}

// grow returns s with room for at least n more elements, doubling its
// capacity (append grows large slices by only 1.25x, which copies a big
// batch several times over while it fills).
func grow[T any](s []T, n int) []T {
	return slices.Grow(s, max(n, cap(s), 256))
}

// bytes is the size of the column's values.
func (c *strCol) bytes() int { return int(c.off) + len(c.buf) }

// reset empties the column, keeping its chunks.
func (c *strCol) reset() {
	c.end = c.end[:0]
	if len(c.chunks) > 0 {
		c.chunks[c.cur] = c.buf
		c.cur, c.off = 0, 0
		c.buf = c.chunks[0][:0]
	}
}

// chunk is chunk k's bytes.
func (c *strCol) chunk(k int) []byte {
	if k == c.cur {
		return c.buf
	}
	return c.chunks[k]
}

// views fills dst with rows [lo, lo+len(dst)) as strings that share the
// column's memory. They are valid until c is next appended to or reset.
func (c *strCol) views(dst []string, lo int) {
	start := uint32(0)
	if lo > 0 {
		start = c.end[lo-1]
	}
	k, b, lim := -1, []byte(nil), uint32(0) // chunk k holds offsets [lim-len(b), lim)
	for i, end := range c.end[lo : lo+len(dst)] {
		if end == start {
			dst[i] = ""
			continue
		}
		for start >= lim {
			k++
			b = c.chunk(k)
			lim = c.base[k] + uint32(len(b))
		}
		dst[i] = unsafe.String(&b[start-c.base[k]], int(end-start))
		start = end
	}
}
