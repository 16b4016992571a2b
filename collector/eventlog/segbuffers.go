package eventlog

// keptSegmentBuffers and maxKeptSegmentBuffer bound the segment buffers kept
// for reuse (at most 1 MiB): a batch builds its segment in the buffer of one
// already committed instead of growing a new one from 4 KiB.
const (
	keptSegmentBuffers   = 4
	maxKeptSegmentBuffer = 256 << 10
)

// recycle keeps data, the segment of a committed batch, for a later batch.
// Only acknowledged segments come here: the NATS connection no longer holds
// them.
func (c *committer) recycle(data []byte) {
	if cap(data) > maxKeptSegmentBuffer {
		return
	}
	select {
	case c.bufs <- data:
	default:
	}
}

// buffer returns a kept segment buffer, or nil.
func (c *committer) buffer() []byte {
	select {
	case b := <-c.bufs:
		return b
	default:
		return nil
	}
}
