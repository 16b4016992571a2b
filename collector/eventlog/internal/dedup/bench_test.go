package dedup

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"time"
)

// randomKey stands for KeyOf's output: 128 pseudo-random bits.
func randomKey(r *rand.Rand) Key {
	var k Key
	binary.LittleEndian.PutUint64(k[:], r.Uint64())
	binary.LittleEndian.PutUint64(k[8:], r.Uint64())
	return k
}

// BenchmarkContainsFull is the committer's check of a new key against a full
// index (every generation present, the default 2 000 000 keys).
func BenchmarkContainsFull(b *testing.B) {
	const max = 2_000_000
	x := New(time.Hour, max)
	t0 := time.Unix(1_700_000_000, 0)
	span := time.Hour / generations
	r := rand.New(rand.NewPCG(1, 2))
	for i := range max {
		x.Add(randomKey(r), t0.Add(time.Duration(i)*span*generations/max))
	}
	now := t0.Add(time.Hour)
	b.ResetTimer()
	for range b.N {
		if x.Contains(randomKey(r), now) {
			b.Fatal("new key found")
		}
	}
}

// BenchmarkFresh is what a new log pays per appended key: Contains and Add
// on an index created for the default maximum, 50 000 keys per op.
func BenchmarkFresh(b *testing.B) {
	t0 := time.Unix(1_700_000_000, 0)
	r := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		x := New(time.Hour, 2_000_000)
		for range 50_000 {
			if k := randomKey(r); !x.Contains(k, t0) {
				x.Add(k, t0)
			}
		}
	}
}

// BenchmarkAddSteady is the committer's Contains and Add of new keys at a
// steady rate into a full index (the default 2 000 000 keys, 16
// generations): generations roll over and the oldest are evicted.
func BenchmarkAddSteady(b *testing.B) {
	const max = 2_000_000
	x := New(time.Hour, max)
	t0 := time.Unix(1_700_000_000, 0)
	step := time.Hour / max
	r := rand.New(rand.NewPCG(1, 2))
	put := func(i int) {
		k := randomKey(r)
		now := t0.Add(time.Duration(i) * step)
		if !x.Contains(k, now) {
			x.Add(k, now)
		}
	}
	for i := range max {
		put(i)
	}
	b.ResetTimer()
	for i := range b.N {
		put(max + i)
	}
}
