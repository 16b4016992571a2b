package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// SerialReader returns the named durable cursor that hands out one segment
// at a time across every process sharing the log: a segment is given to a
// reader only after the one before it was acked (MaxAckPending 1), and a
// segment nak'ed or left unacked comes again before any later one. So the
// segments are processed strictly in log order, cluster-wide. Created for
// the first time, it starts at the segments logged from then on (not at
// the oldest retained one) — or, when from is not zero, at the first
// segment stored at or after from. An existing cursor keeps its position
// (from is ignored). Like every reader, it holds back retention until it
// acked; calling it twice with one name returns the same Reader.
func (l *Log) SerialReader(name string, from time.Time) (Reader, error) {
	if !readerNameRE.MatchString(name) {
		return nil, fmt.Errorf("eventlog: reader name %q: want 1-64 letters, digits, '_' or '-'", name)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state == stateClosed {
		return nil, ErrClosed
	}
	if r, ok := l.readers[name]; ok {
		if !r.serial {
			return nil, fmt.Errorf("eventlog: reader %s exists and is not serial", name)
		}
		return r, nil
	}
	r := &reader{l: l, name: name, serial: true, from: from}
	if l.state == stateStarted {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if err := r.bind(ctx); err != nil {
			return nil, err
		}
	}
	l.readers[name] = r
	return r, nil
}

// serialConfig makes cfg a serial cursor: one segment unacked at most; a
// new cursor starts at new segments (or at r.from), an existing one keeps
// its start.
func (r *reader) serialConfig(ctx context.Context, cfg *jetstream.ConsumerConfig) error {
	cfg.MaxAckPending = 1
	cfg.Description = "bridge event log serial reader"
	old, err := r.l.stream.Consumer(ctx, r.name)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		cfg.DeliverPolicy = jetstream.DeliverNewPolicy
		if !r.from.IsZero() {
			from := r.from.UTC()
			cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &from
		}
		return nil
	case err != nil:
		return fmt.Errorf("eventlog: reader %s: %w", r.name, err)
	}
	if info := old.CachedInfo(); info != nil {
		cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = info.Config.DeliverPolicy, info.Config.OptStartSeq, info.Config.OptStartTime
	}
	return nil
}
