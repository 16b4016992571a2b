package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/collector/eventlog/internal/dedup"
	"github.com/popinbridge/bridge/collector/eventlog/internal/segcodec"
)

// rebuild fills index with every key committed within the dedup window, so
// that a client resending after a crash is not stored twice: first from the
// key stream (keystore.go), then from the segments of the window whose keys
// it lacks (a crash between a commit and its keys' write), whose keys it then
// writes, so that those segments may be purged too. It returns the last
// sequence of the event stream: every segment up to it has its keys persisted.
func (l *Log) rebuild(ctx context.Context, index *dedup.Index, ks *keyStore) (uint64, error) {
	started := time.Now()
	info, err := l.stream.Info(ctx, jetstream.WithDeletedDetails(true))
	if err != nil {
		return 0, fmt.Errorf("eventlog: rebuild dedup index: stream info: %w", err)
	}
	last := info.State.LastSeq
	evicted, keys := 0, 0
	first, inWindow := last+1, false
	if info.State.Msgs > 0 {
		if first, inWindow, err = l.firstSeqSince(ctx, l.now().Add(-l.cfg.DedupWindow)); err != nil {
			return 0, fmt.Errorf("eventlog: rebuild dedup index: %w", err)
		}
	}
	// Keys persisted for segments of the window (and before: harmless).
	persisted := make(map[uint64]struct{})
	tail := newLostTail(l.nats.Embedded(), info.State)
	err = scanStream(ctx, ks.stream, 1, false, func(msg jetstream.Msg, meta *jetstream.MsgMetadata) error {
		if tail.stale(msg.Data(), meta.Sequence.Stream) {
			return nil
		}
		werr := walkKeyRecords(msg.Data(), func(seq uint64, k dedup.Key) {
			if inWindow && seq >= first {
				persisted[seq] = struct{}{}
			}
			evicted += index.Add(k, meta.Timestamp)
			keys++
		})
		if werr != nil {
			l.m.corrupt.Inc()
			l.logger.Error("skipping corrupt dedup key record", "seq", meta.Sequence.Stream, "error", werr)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("eventlog: rebuild dedup index from %s: %w", ks.name, err)
	}
	if err := tail.forget(ctx, l, ks, index); err != nil {
		return 0, fmt.Errorf("eventlog: rebuild dedup index: %w", err)
	}
	segments := 0
	var missing []keyRec
	if inWindow {
		err = scanStream(ctx, l.stream, first, false, func(msg jetstream.Msg, meta *jetstream.MsgMetadata) error {
			seq := meta.Sequence.Stream
			if _, ok := persisted[seq]; ok || seq > last {
				return nil
			}
			segments++
			rec := keyRec{seq: seq}
			werr := segcodec.Walk(msg.Data(), func(site, id, _ []byte) error {
				k := dedup.KeyOf(string(site), string(id))
				evicted += index.Add(k, meta.Timestamp)
				rec.keys = append(rec.keys, k)
				keys++
				return nil
			})
			if werr != nil {
				l.m.corrupt.Inc()
				l.logger.Error("skipping corrupt segment while rebuilding dedup index", "seq", seq, "error", werr)
			}
			missing = append(missing, rec)
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("eventlog: rebuild dedup index: %w", err)
		}
	}
	if err := ks.writeNow(ctx, missing); err != nil {
		return 0, fmt.Errorf("eventlog: rebuild dedup index: %w", err)
	}
	if evicted > 0 {
		l.m.dedupEvictions.Add(float64(evicted))
	}
	l.logger.Info("dedup index rebuilt", "events", keys, "segments_without_persisted_keys", segments,
		"window", l.cfg.DedupWindow, "took", time.Since(started).Round(time.Millisecond))
	return last, nil
}

// scanStream calls fn for every message of s from sequence from on, in
// order, until the messages stored when it started are read.
func scanStream(ctx context.Context, s jetstream.Stream, from uint64, headersOnly bool,
	fn func(jetstream.Msg, *jetstream.MsgMetadata) error) error {
	info, err := s.Info(ctx)
	if err != nil {
		return fmt.Errorf("stream info: %w", err)
	}
	last := info.State.LastSeq
	if info.State.Msgs == 0 || from > last {
		return nil
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   max(from, 1),
		HeadersOnly:   headersOnly,
	})
	if err != nil {
		return err
	}
	for done := false; !done; {
		batch, err := cons.FetchNoWait(512) // everything wanted is stored already
		if err != nil {
			return err
		}
		got := 0
		for msg := range batch.Messages() {
			got++
			meta, err := msg.Metadata()
			if err != nil {
				return err
			}
			if err := fn(msg, meta); err != nil {
				return err
			}
			if meta.Sequence.Stream >= last || meta.NumPending == 0 {
				done = true
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) &&
			!errors.Is(err, nats.ErrTimeout) {
			return err
		}
		if got == 0 {
			done = true // the rest was purged or expired meanwhile
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}
