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

// rebuild fills index with the keys of every segment committed within the
// dedup window, so that a client resending after a crash is not stored twice.
func (l *Log) rebuild(ctx context.Context, index *dedup.Index) error {
	started := time.Now()
	info, err := l.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("eventlog: rebuild dedup index: stream info: %w", err)
	}
	last := info.State.LastSeq
	if info.State.Msgs == 0 {
		return nil
	}
	first, ok, err := l.firstSeqSince(ctx, l.now().Add(-l.cfg.DedupWindow))
	if err != nil {
		return fmt.Errorf("eventlog: rebuild dedup index: %w", err)
	}
	if !ok {
		return nil
	}
	cons, err := l.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   first,
	})
	if err != nil {
		return fmt.Errorf("eventlog: rebuild dedup index: %w", err)
	}
	segments, keys, evicted := 0, 0, 0
	for done := false; !done; {
		batch, err := cons.FetchNoWait(512) // everything wanted is stored already
		if err != nil {
			return fmt.Errorf("eventlog: rebuild dedup index: %w", err)
		}
		got := 0
		for msg := range batch.Messages() {
			got++
			meta, err := msg.Metadata()
			if err != nil {
				return fmt.Errorf("eventlog: rebuild dedup index: %w", err)
			}
			segments++
			werr := segcodec.Walk(msg.Data(), func(site, id, _ []byte) error {
				evicted += index.Add(dedup.KeyOf(string(site), string(id)), meta.Timestamp)
				keys++
				return nil
			})
			if werr != nil {
				l.m.corrupt.Inc()
				l.logger.Error("skipping corrupt segment while rebuilding dedup index",
					"seq", meta.Sequence.Stream, "error", werr)
			}
			if meta.Sequence.Stream >= last || meta.NumPending == 0 {
				done = true
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) &&
			!errors.Is(err, nats.ErrTimeout) {
			return fmt.Errorf("eventlog: rebuild dedup index: %w", err)
		}
		if got == 0 {
			done = true // the rest was purged or expired meanwhile
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("eventlog: rebuild dedup index: %w", err)
		}
	}
	if evicted > 0 {
		l.m.dedupEvictions.Add(float64(evicted))
	}
	l.logger.Info("dedup index rebuilt", "segments", segments, "events", keys,
		"window", l.cfg.DedupWindow, "took", time.Since(started).Round(time.Millisecond))
	return nil
}
