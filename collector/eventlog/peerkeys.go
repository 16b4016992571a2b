package eventlog

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/collector/eventlog/internal/dedup"
	"github.com/popinbridge/bridge/internal/retry"
)

// Several nodes share the log. Each writes the dedup keys of its own
// segments to the shared key stream, marked with its node id (header
// nodeHeader), and follows that stream for the records of the others
// (followKeys): their keys join this node's dedup index, so that an event
// a client resends to this node after another node stored it is not stored
// twice, and their segments count as persisted for purge (keystore.go), so
// that purges here are not held back by them. A key reaches the other
// nodes shortly after its segment's PubAck (the key writer batches), so an
// event sent to two nodes within that moment may still be stored twice.

// nodeHeader carries the id of the node that wrote a key record.
const nodeHeader = "Bridge-Node"

// followKeys applies the other nodes' key records from sequence from of
// the key stream on, until ctx ends; a broken subscription is re-made.
func (l *Log) followKeys(ctx context.Context, ks *keyStore, c *committer, from uint64) {
	backoff := retry.Backoff{Min: 500 * time.Millisecond, Max: 10 * time.Second}
	for ctx.Err() == nil {
		next, err := l.followOnce(ctx, ks, c, from)
		from = next
		if ctx.Err() != nil {
			return
		}
		l.logger.Warn("following other nodes' dedup keys failed; retrying", "error", err)
		if !retry.Sleep(ctx, backoff.Next()) {
			return
		}
	}
}

// followOnce reads from sequence from until ctx ends or reading fails; it
// returns the next sequence to read.
func (l *Log) followOnce(ctx context.Context, ks *keyStore, c *committer, from uint64) (uint64, error) {
	cons, err := ks.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   max(from, 1),
	})
	if err != nil {
		return from, err
	}
	it, err := cons.Messages()
	if err != nil {
		return from, err
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	for {
		msg, err := it.Next()
		if err != nil {
			return from, err
		}
		meta, err := msg.Metadata()
		if err != nil {
			return from, err
		}
		from = meta.Sequence.Stream + 1
		if msg.Headers().Get(nodeHeader) == ks.node {
			continue
		}
		var keys []dedup.Key
		var seqs []uint64
		werr := walkKeyRecords(msg.Data(), func(seq uint64, k dedup.Key) {
			keys = append(keys, k)
			if len(seqs) == 0 || seqs[len(seqs)-1] != seq {
				seqs = append(seqs, seq)
			}
		})
		if werr != nil {
			l.m.corrupt.Inc()
			continue
		}
		c.learn(keys, meta.Timestamp)
		ks.persisted(seqs)
	}
}

// learn adds keys another node committed at t to the dedup index.
func (c *committer) learn(keys []dedup.Key, t time.Time) {
	evicted := 0
	c.mu.Lock()
	for _, k := range keys {
		evicted += c.index.Add(k, t)
	}
	c.m.dedupEntries.Set(float64(c.index.Len()))
	c.mu.Unlock()
	if evicted > 0 {
		c.m.dedupEvictions.Add(float64(evicted))
	}
}
