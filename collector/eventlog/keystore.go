package eventlog

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/popinbridge/bridge/collector/eventlog/internal/dedup"
	"github.com/popinbridge/bridge/internal/natsrv"
)

// Dedup persistence. The dedup index must survive a restart without the
// segments, so that retention can purge a segment as soon as every reader has
// acked it. After a segment's PubAck the committer hands its keys (16 bytes
// per event) to the keyStore, which writes them, batched, to a second stream:
//
//   - name <stream_name>_DEDUP, subject <subject>.dedup, file storage;
//   - MaxAge = dedup_window: a key record expires with its window;
//   - MaxBytes = 40 bytes × dedup_max_entries (DiscardOld): above what the
//     index itself may hold, so the oldest records go first, as the index
//     evicts its oldest keys;
//   - one message holds up to maxKeysPerRecord keys as records
//     {segment seq uint64, n uint32, n × key}, all big-endian, and names
//     the node that wrote it in header Bridge-Node (peerkeys.go).
//
// Start rebuilds the index from this stream, plus the segments of the window
// whose keys it lacks (written after a crash between a commit and its keys),
// and writes their keys then (rebuild.go).
//
// Purge safety: a segment inside the dedup window may be purged only once its
// keys are persisted. mark is the highest sequence such that every segment up
// to it has persisted keys; purge keeps everything above it that is inside the
// window. Segments older than the window need no keys and move mark on. A
// segment whose keys could not be written (queue full, write failed; both
// counted in bridge_eventlog_dedup_persist_failures_total) is thus kept for
// the window, as before this store existed, and never lost from the index of
// a running process. The queue (keyQueueCap segments) and the set of persisted
// sequences above mark (maxDoneAhead) are bounded.
type keyStore struct {
	node    string // this node's id in the records' nodeHeader (peerkeys.go)
	name    string
	subject string
	stream  jetstream.Stream
	js      jetstream.JetStream
	m       *metrics
	logger  *slog.Logger
	queue   chan keyRec

	mu   sync.Mutex
	mark uint64
	done map[uint64]struct{}
}

type keyRec struct {
	seq  uint64
	keys []dedup.Key
}

const (
	keyQueueCap      = 4096
	maxKeysPerRecord = 32 << 10
	maxDoneAhead     = 1 << 16
	keyRecHeader     = 12
)

func keyStreamConfig(cfg Config, replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        cfg.StreamName + "_DEDUP",
		Description: "bridge event log: the dedup keys of the segments of the last dedup window",
		Subjects:    []string{cfg.Subject + ".dedup"},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      cfg.DedupWindow,
		MaxBytes:    40 * int64(cfg.DedupMaxEntries),
		MaxMsgSize:  int32(maxKeysPerRecord*(keyRecHeader+dedup.KeySize) + 64<<10),
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	}
}

func openKeyStore(ctx context.Context, cfg Config, replicas int, js jetstream.JetStream, m *metrics, logger *slog.Logger) (*keyStore, error) {
	sc := keyStreamConfig(cfg, replicas)
	s, err := natsrv.EnsureStream(ctx, js, sc, logger)
	if err != nil {
		return nil, fmt.Errorf("eventlog: create stream %s: %w", sc.Name, err)
	}
	return &keyStore{
		node: nuid.Next(), name: sc.Name, subject: sc.Subjects[0], stream: s, js: js, m: m, logger: logger,
		queue: make(chan keyRec, keyQueueCap), done: make(map[uint64]struct{}),
	}, nil
}

// enqueue hands the keys of committed segment seq to the writer; never blocks.
func (ks *keyStore) enqueue(seq uint64, keys []dedup.Key) {
	select {
	case ks.queue <- keyRec{seq: seq, keys: keys}:
	default:
		ks.m.dedupPersistFails.Add(float64(len(keys)))
	}
}

// run writes queued keys until ctx ends, then flushes what is queued
// (each write bounded by a timeout, the flush by 2s). Keys queued while it
// lingers (keywait.go) go into the same record.
func (ks *keyStore) run(ctx context.Context) {
	for {
		select {
		case rec := <-ks.queue:
			ks.linger(ctx)
			ks.writeBatch(context.Background(), rec)
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			for {
				select {
				case rec := <-ks.queue:
					ks.writeBatch(fctx, rec)
				default:
					return
				}
			}
		}
	}
}

// writeBatch writes first plus whatever else is queued, up to one record.
func (ks *keyStore) writeBatch(ctx context.Context, first keyRec) {
	recs, n := []keyRec{first}, len(first.keys)
	for n < maxKeysPerRecord {
		select {
		case rec := <-ks.queue:
			recs = append(recs, rec)
			n += len(rec.keys)
			continue
		default:
		}
		break
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := ks.writeNow(wctx, recs); err != nil {
		ks.m.dedupPersistFails.Add(float64(n))
		ks.logger.Warn("dedup keys not persisted; their segments are kept for the dedup window", "keys", n, "error", err)
	}
}

// writeNow writes recs synchronously and marks their segments persisted.
func (ks *keyStore) writeNow(ctx context.Context, recs []keyRec) error {
	for len(recs) > 0 {
		var buf []byte
		var seqs []uint64
		n := 0
		for len(recs) > 0 && (n == 0 || n+len(recs[0].keys) <= maxKeysPerRecord) {
			r := recs[0]
			recs = recs[1:]
			buf = appendKeyRecord(buf, r)
			seqs = append(seqs, r.seq)
			n += len(r.keys)
		}
		msg := &nats.Msg{Subject: ks.subject, Data: buf, Header: nats.Header{nodeHeader: []string{ks.node}}}
		if _, err := ks.js.PublishMsg(ctx, msg, jetstream.WithExpectStream(ks.name)); err != nil {
			return fmt.Errorf("eventlog: write dedup keys: %w", err)
		}
		ks.m.dedupPersisted.Add(float64(n))
		ks.persisted(seqs)
	}
	return nil
}

func appendKeyRecord(buf []byte, r keyRec) []byte {
	buf = binary.BigEndian.AppendUint64(buf, r.seq)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(r.keys)))
	for _, k := range r.keys {
		buf = append(buf, k[:]...)
	}
	return buf
}

var errKeyRecord = errors.New("truncated dedup key record")

// walkKeyRecords calls fn for every key of data, with its segment's sequence.
func walkKeyRecords(data []byte, fn func(seq uint64, k dedup.Key)) error {
	for len(data) > 0 {
		if len(data) < keyRecHeader {
			return errKeyRecord
		}
		seq, n := binary.BigEndian.Uint64(data), int(binary.BigEndian.Uint32(data[8:]))
		data = data[keyRecHeader:]
		if n > len(data)/dedup.KeySize {
			return errKeyRecord
		}
		for i := range n {
			fn(seq, dedup.Key(data[i*dedup.KeySize:(i+1)*dedup.KeySize]))
		}
		data = data[n*dedup.KeySize:]
	}
	return nil
}

// setMark declares every segment up to seq persisted (Start, after rebuild).
func (ks *keyStore) setMark(seq uint64) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.jump(seq)
}

func (ks *keyStore) persisted(seqs []uint64) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	for _, s := range seqs {
		if s > ks.mark && len(ks.done) < maxDoneAhead {
			ks.done[s] = struct{}{}
		}
	}
	ks.advance()
}

// jump moves mark to seq if that is further, then advances it.
func (ks *keyStore) jump(seq uint64) {
	if seq <= ks.mark {
		return
	}
	ks.mark = seq
	for k := range ks.done {
		if k <= ks.mark {
			delete(ks.done, k)
		}
	}
	ks.advance()
}

// advance moves mark over the persisted sequences that follow it.
func (ks *keyStore) advance() {
	for {
		if _, ok := ks.done[ks.mark+1]; !ok {
			return
		}
		delete(ks.done, ks.mark+1)
		ks.mark++
	}
}

// purgeFloor is the first sequence purge must keep for the dedup index's
// sake, given windowStart, the first sequence inside the dedup window.
func (ks *keyStore) purgeFloor(windowStart uint64) uint64 {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if windowStart > 0 {
		ks.jump(windowStart - 1)
	}
	return ks.mark + 1
}
