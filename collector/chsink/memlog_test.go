package chsink_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/internal/event"
)

// memLog is a small in-memory eventlog.Reader for tests: segments are
// handed out in order, redelivered after Nak, never after Ack.
type memLog struct {
	mu      sync.Mutex
	segs    []*memSeg
	notify  chan struct{}
	acks    int
	naks    int
	fetches int
}

type memSeg struct {
	log        *memLog
	seq        uint64
	events     []event.Event
	acked      bool
	inflight   bool
	readyAt    time.Time
	deliveries uint64
}

func newMemLog() *memLog { return &memLog{notify: make(chan struct{})} }

// Append adds one segment holding events.
func (l *memLog) Append(events ...event.Event) {
	l.mu.Lock()
	l.segs = append(l.segs, &memSeg{log: l, seq: uint64(len(l.segs) + 1), events: events})
	close(l.notify)
	l.notify = make(chan struct{})
	l.mu.Unlock()
}

func (l *memLog) Fetch(ctx context.Context, max int, wait time.Duration) ([]eventlog.Segment, error) {
	deadline := time.Now().Add(wait)
	for {
		l.mu.Lock()
		l.fetches++
		var out []eventlog.Segment
		now := time.Now()
		var next time.Time
		for _, s := range l.segs {
			if len(out) == max {
				break
			}
			if s.acked || s.inflight {
				continue
			}
			if now.Before(s.readyAt) {
				if next.IsZero() || s.readyAt.Before(next) {
					next = s.readyAt
				}
				continue
			}
			s.inflight = true
			s.deliveries++
			out = append(out, s)
		}
		notify := l.notify
		l.mu.Unlock()
		if len(out) > 0 {
			return out, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		remain := time.Until(deadline)
		if remain <= 0 {
			return nil, nil
		}
		if !next.IsZero() && time.Until(next) < remain {
			remain = max0(time.Until(next))
		}
		t := time.NewTimer(remain)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-notify:
		case <-t.C:
		}
		t.Stop()
	}
}

func max0(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return time.Millisecond
	}
	return d
}

func (l *memLog) Pending() (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var n uint64
	for _, s := range l.segs {
		if !s.acked {
			n++
		}
	}
	return n, nil
}

func (l *memLog) counts() (acked, total int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.segs {
		if s.acked {
			acked++
		}
	}
	return acked, len(l.segs)
}

// fetchedAll is nil once every segment has been fetched (or acked).
func (l *memLog) fetchedAll() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.segs {
		if !s.inflight && !s.acked {
			return fmt.Errorf("segment %d not fetched", s.seq)
		}
	}
	return nil
}

// ackedAll is nil once want segments are acked (want < 0: every segment).
func (l *memLog) ackedAll(want int) func() error {
	return func() error {
		a, total := l.counts()
		if want < 0 {
			want = total
		}
		if a != want {
			return fmt.Errorf("%d of %d segments acked, want %d", a, total, want)
		}
		return nil
	}
}

func (s *memSeg) Seq() uint64           { return s.seq }
func (s *memSeg) Events() []event.Event { return s.events }
func (s *memSeg) Deliveries() uint64    { s.log.mu.Lock(); defer s.log.mu.Unlock(); return s.deliveries }
func (s *memSeg) Ack() error {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	if !s.inflight {
		return errors.New("ack of a segment not in flight")
	}
	s.acked, s.inflight = true, false
	s.log.acks++
	return nil
}

func (s *memSeg) Nak(delay time.Duration) error {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	if !s.inflight {
		return errors.New("nak of a segment not in flight")
	}
	s.inflight = false
	s.readyAt = time.Now().Add(delay)
	s.log.naks++
	close(s.log.notify)
	s.log.notify = make(chan struct{})
	return nil
}

// redeliver puts every segment, acked or not, back for delivery: what a log
// does to a consumer whose acks were lost.
func (l *memLog) redeliver() {
	l.mu.Lock()
	for _, s := range l.segs {
		s.acked, s.inflight = false, false
	}
	close(l.notify)
	l.notify = make(chan struct{})
	l.mu.Unlock()
}
