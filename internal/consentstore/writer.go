package consentstore

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// writeTimeout bounds one bucket read or write; drainTimeout bounds the
// writes still queued at Shutdown.
const (
	writeTimeout = 5 * time.Second
	drainTimeout = 2 * time.Second
)

// run writes queued consents in order until ctx ends, then what is queued
// for at most drainTimeout.
func (s *Store) run(ctx context.Context, kv jetstream.KeyValue, done chan struct{}) {
	defer close(done)
	for {
		select {
		case w := <-s.queue:
			s.write(context.Background(), kv, w)
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
			defer cancel()
			for {
				select {
				case w := <-s.queue:
					s.write(dctx, kv, w)
				default:
					return
				}
			}
		}
	}
}

// write stores w unless the bucket already holds it, written less than
// half the TTL ago, or the key was forgotten since w was queued.
func (s *Store) write(ctx context.Context, kv jetstream.KeyValue, w write) {
	s.mu.Lock()
	_, live := s.cache[w.key]
	s.mu.Unlock()
	var err error
	if live {
		err = s.put(ctx, kv, w)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.cache[w.key]
	if !ok {
		return
	}
	if e.pending > 0 {
		e.pending--
	}
	if err != nil && e.pending == 0 {
		delete(s.cache, w.key) // a later event retries
		return
	}
	s.cache[w.key] = e
}

func (s *Store) put(ctx context.Context, kv jetstream.KeyValue, w write) error {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	cur, err := kv.Get(ctx, w.key)
	if err == nil && string(cur.Value()) == w.enc && s.now().Sub(cur.Created()) < s.cfg.TTL/2 {
		return nil
	}
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		s.m.dropped.WithLabelValues(dropError).Inc()
		return err
	}
	if _, err := kv.PutString(ctx, w.key, w.enc); err != nil {
		s.m.dropped.WithLabelValues(dropError).Inc()
		s.logger.Warn("consent not remembered", "error", err)
		return err
	}
	s.m.writes.Inc()
	return nil
}
