package forwarder

import (
	"slices"
	"sync"
	"time"
)

// dueTimes are the times the deliveries a runner put back (NakWithDelay)
// come due. The runner fetches without waiting on the server, so without
// them it would find a retry only at its next idle poll, up to idlePoll
// late. The server hands a delivery out a little after the due time the
// runner computed (the nak is sent asynchronously; its timer may fire late
// under load), so a due time is kept for dueSlack after it passed and the
// runner looks again meanwhile at intervals growing with how overdue it is.
// Bounded: at most maxDueTimes distinct times (dueGrain apart); beyond,
// the latest are not noted and the idle poll finds those deliveries.
type dueTimes struct {
	mu sync.Mutex
	at []int64 // unix ns, ascending, multiples of dueGrain
}

const (
	maxDueTimes = 4096
	dueGrain    = 10 * time.Millisecond
	dueSlack    = idlePoll
)

// add notes t (rounded up to dueGrain) and reports whether it is now the
// earliest.
func (q *dueTimes) add(t time.Time) bool {
	g := int64(dueGrain)
	v := (t.UnixNano() + g - 1) / g * g
	q.mu.Lock()
	defer q.mu.Unlock()
	i, found := slices.BinarySearch(q.at, v)
	if found {
		return false
	}
	if len(q.at) >= maxDueTimes {
		if i == len(q.at) {
			return false
		}
		q.at = q.at[:len(q.at)-1]
	}
	q.at = slices.Insert(q.at, i, v)
	return i == 0
}

// wait returns how long a runner idle at now may wait before it looks at
// its queue again: until the next due time and, while one passed less than
// dueSlack ago, no longer than it has been overdue (at least dueGrain); at
// most idlePoll. It forgets due times more than dueSlack past.
func (q *dueTimes) wait(now time.Time) time.Duration {
	n := now.UnixNano()
	q.mu.Lock()
	defer q.mu.Unlock()
	old := 0
	for old < len(q.at) && n-q.at[old] > int64(dueSlack) {
		old++
	}
	q.at = slices.Delete(q.at, 0, old)
	w := idlePoll
	i, _ := slices.BinarySearch(q.at, n+1) // the first still to come
	if i < len(q.at) {
		w = min(w, time.Duration(q.at[i]-n))
	}
	if i > 0 {
		w = min(w, max(time.Duration(n-q.at[i-1]), dueGrain))
	}
	return w
}
