package ingest

import (
	"container/list"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters is a bounded LRU of token buckets keyed by client IP or site id.
// When full, the least recently used bucket is forgotten (that client starts
// again with a full bucket), so memory stays bounded under IP spraying.
type limiters struct {
	limit rate.Limit
	burst int
	max   int

	mu    sync.Mutex
	ll    *list.List // front = most recent; values are *limiterEntry
	byKey map[string]*list.Element
}

type limiterEntry struct {
	key string
	lim *rate.Limiter
}

// newLimiters returns nil (no limit) when perSecond is 0.
func newLimiters(perSecond float64, burst, max int) *limiters {
	if perSecond <= 0 {
		return nil
	}
	return &limiters{limit: rate.Limit(perSecond), burst: burst, max: max,
		ll: list.New(), byKey: map[string]*list.Element{}}
}

// take spends n tokens for key. It returns 0 when allowed, otherwise how long
// to wait before n tokens could be available (nothing is spent then).
func (l *limiters) take(key string, n int, now time.Time) time.Duration {
	if l == nil {
		return 0
	}
	if n < 1 {
		n = 1
	}
	lim := l.get(key)
	r := lim.ReserveN(now, n)
	if !r.OK() { // n > burst: can never pass whole
		return time.Duration(float64(n) / float64(l.limit) * float64(time.Second))
	}
	d := r.DelayFrom(now)
	if d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

func (l *limiters) get(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.byKey[key]; ok {
		l.ll.MoveToFront(el)
		return el.Value.(*limiterEntry).lim
	}
	for l.ll.Len() >= l.max {
		old := l.ll.Back()
		l.ll.Remove(old)
		delete(l.byKey, old.Value.(*limiterEntry).key)
	}
	e := &limiterEntry{key: key, lim: rate.NewLimiter(l.limit, l.burst)}
	l.byKey[key] = l.ll.PushFront(e)
	return e.lim
}

func (l *limiters) len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ll.Len()
}
