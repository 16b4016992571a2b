// Package dedup is a bounded, time-windowed set of event keys.
//
// Keys live in generations: a generation holds the keys added during one
// sixteenth of the window (or until it holds a sixteenth of the maximum).
// Whole generations expire once all their keys are older than the window, and
// the oldest generation is evicted when the set holds more than its maximum.
// A key is therefore remembered at least for the window unless evicted for
// room; evictions are reported to the caller so they can be counted.
// Once there are a few generations, a counting Bloom filter over all of
// them (4 bytes per key, sized for the keys held and doubled as they grow,
// up to the maximum) answers most lookups of a new key without probing every
// generation.
//
// An Index is not safe for concurrent use.
package dedup

import (
	"hash/fnv"
	"time"
)

// KeySize is the size of a Key in bytes.
const KeySize = 16

// Key identifies an event: a 128-bit FNV-1a hash of site and event ID.
type Key [KeySize]byte

// KeyOf returns the key of the event id of site.
func KeyOf(site, id string) Key {
	h := fnv.New128a()
	h.Write([]byte(site))
	h.Write([]byte{0})
	h.Write([]byte(id))
	var k Key
	h.Sum(k[:0])
	return k
}

const generations = 16

type generation struct {
	start time.Time
	keys  map[Key]struct{}
}

// Index is the set. Create it with New.
type Index struct {
	window time.Duration
	max    int
	span   time.Duration
	genMax int
	gens   []*generation // oldest first
	total  int
	filter *filter // every key held, once there are filterFromGens generations
	sized  int     // keys the filter is sized for: doubles with total, up to max
}

// New returns an Index remembering keys for window, holding at most max keys.
func New(window time.Duration, max int) *Index {
	if max < generations {
		max = generations
	}
	return &Index{window: window, max: max, span: window / generations, genMax: max / generations}
}

// Len is the number of keys held.
func (x *Index) Len() int { return x.total }

// Contains reports whether k was added within the window before now.
func (x *Index) Contains(k Key, now time.Time) bool {
	x.expire(now)
	if x.filter != nil && !x.filter.mayContain(k) {
		return false
	}
	for i := len(x.gens) - 1; i >= 0; i-- {
		if _, ok := x.gens[i].keys[k]; ok {
			return true
		}
	}
	return false
}

// Add remembers k as added at t and returns how many keys were evicted for room.
// Adds should come in roughly increasing t.
func (x *Index) Add(k Key, t time.Time) (evicted int) {
	x.expire(t)
	cur := x.current()
	if cur == nil || t.Sub(cur.start) >= x.span || len(cur.keys) >= x.genMax {
		size := 64 // like the last generation: a steady rate fills it without regrowing
		if cur != nil {
			size = max(size, len(cur.keys))
		}
		cur = &generation{start: t, keys: make(map[Key]struct{}, size)}
		x.gens = append(x.gens, cur)
	}
	if _, ok := cur.keys[k]; ok {
		return 0
	}
	cur.keys[k] = struct{}{}
	x.total++
	switch {
	case x.filter == nil && len(x.gens) < filterFromGens:
	case x.filter == nil || (x.total > x.sized && x.sized < x.max):
		x.buildFilter()
	default:
		x.filter.add(k)
	}
	for x.total > x.max && len(x.gens) > 1 {
		evicted += len(x.gens[0].keys)
		x.drop()
	}
	return evicted
}

// The filter is built once there are filterFromGens generations (with fewer,
// looking in each map is as cheap), sized for twice the keys held, at least
// minFilterKeys (64 KiB), and rebuilt twice as large whenever the index
// outgrows it, until it is sized for the maximum.
const (
	filterFromGens = 3
	minFilterKeys  = 16 << 10
)

func (x *Index) buildFilter() {
	x.sized = min(max(2*x.total, minFilterKeys), x.max)
	f := newFilter(x.sized)
	x.filter = &f
	for _, g := range x.gens {
		for k := range g.keys {
			x.filter.add(k)
		}
	}
}

func (x *Index) current() *generation {
	if len(x.gens) == 0 {
		return nil
	}
	return x.gens[len(x.gens)-1]
}

// expire drops generations whose every key is older than the window: a
// generation's keys are younger than the next generation's start.
func (x *Index) expire(now time.Time) {
	for len(x.gens) > 1 && now.Sub(x.gens[1].start) > x.window {
		x.drop()
	}
	if len(x.gens) == 1 && now.Sub(x.gens[0].start) > x.window+x.span {
		x.drop()
	}
}

func (x *Index) drop() {
	if x.filter != nil {
		for k := range x.gens[0].keys {
			x.filter.remove(k)
		}
	}
	x.total -= len(x.gens[0].keys)
	x.gens[0] = nil
	x.gens = x.gens[1:]
}
