package eventlog

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/collector/eventlog/internal/dedup"
)

// lostTail finds, while the dedup index is rebuilt, the segments that the
// key stream knows and the event stream lost: the store cut a torn or
// damaged tail when it recovered (nats-server checks every record's hash and
// truncates the block at the first bad one). After a crash the stream's last
// sequence then goes back (and will be used again by new segments); after a
// clean stop the lost sequences stay as deleted ones. Either way their events
// are gone, so their keys must not make a client's resend look like a
// duplicate, nor their key records vouch for a new segment that reuses the
// sequence. The key messages naming them are rewritten without them and
// deleted. Retention only ever purges the start of the stream, so a deleted
// sequence at or above the first one is lost, not purged.
//
// Only for the embedded server: with external servers other nodes commit
// while this one starts, so a sequence above the one read at the start of
// the rebuild is no evidence of loss.
type lostTail struct {
	check       bool
	first, last uint64              // the event stream's first and last sequence
	deleted     map[uint64]struct{} // its deleted sequences

	lost    map[uint64]struct{} // segments lost
	msgs    []uint64            // key stream messages naming them
	rewrite []keyRec            // the other records of those messages
}

func newLostTail(check bool, st jetstream.StreamState) *lostTail {
	t := &lostTail{check: check, first: st.FirstSeq, last: st.LastSeq, deleted: make(map[uint64]struct{}, len(st.Deleted))}
	for _, seq := range st.Deleted {
		t.deleted[seq] = struct{}{}
	}
	return t
}

func (t *lostTail) gone(seq uint64) bool {
	if seq > t.last {
		return true
	}
	_, deleted := t.deleted[seq]
	return deleted && seq >= t.first
}

// stale reports whether the key message data (at key stream sequence
// msgSeq) names a lost segment, noting it for forget.
func (t *lostTail) stale(data []byte, msgSeq uint64) bool {
	if !t.check {
		return false
	}
	above := false
	_ = walkKeyRecords(data, func(seq uint64, _ dedup.Key) { above = above || t.gone(seq) })
	if !above {
		return false
	}
	if t.lost == nil {
		t.lost = make(map[uint64]struct{})
	}
	t.msgs = append(t.msgs, msgSeq)
	_ = walkKeyRecords(data, func(seq uint64, k dedup.Key) {
		if t.gone(seq) {
			t.lost[seq] = struct{}{}
			return
		}
		if n := len(t.rewrite); n == 0 || t.rewrite[n-1].seq != seq {
			t.rewrite = append(t.rewrite, keyRec{seq: seq})
		}
		t.rewrite[len(t.rewrite)-1].keys = append(t.rewrite[len(t.rewrite)-1].keys, k)
	})
	return true
}

// forget adds the kept keys to index, writes them again and deletes the
// stale key messages; the lost segments are counted in
// bridge_eventlog_lost_tail_segments_total.
func (t *lostTail) forget(ctx context.Context, l *Log, ks *keyStore, index *dedup.Index) error {
	if len(t.msgs) == 0 {
		return nil
	}
	l.m.lostTail.Add(float64(len(t.lost)))
	l.logger.Warn("the event log's store lost segments (a torn or damaged tail cut at recovery); their events are gone, and a client's resend of them is stored again",
		"segments", len(t.lost), "last_seq", t.last)
	now, evicted := l.now(), 0
	for _, r := range t.rewrite {
		for _, k := range r.keys {
			evicted += index.Add(k, now)
		}
	}
	l.m.dedupEvictions.Add(float64(evicted))
	if err := ks.writeNow(ctx, t.rewrite); err != nil {
		return err
	}
	for _, seq := range t.msgs {
		if err := ks.stream.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("delete stale key record %d: %w", seq, err)
		}
	}
	return nil
}
