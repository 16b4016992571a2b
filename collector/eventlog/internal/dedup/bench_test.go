package dedup

import (
	"encoding/binary"
	"testing"
	"time"
)

// BenchmarkContainsFull is the committer's check of a new key against a full
// index (every generation present, the default 2 000 000 keys).
func BenchmarkContainsFull(b *testing.B) {
	const max = 2_000_000
	x := New(time.Hour, max)
	t0 := time.Unix(1_700_000_000, 0)
	span := time.Hour / generations
	var k Key
	for i := range max {
		binary.LittleEndian.PutUint64(k[:], uint64(i)*0x9e3779b97f4a7c15)
		binary.LittleEndian.PutUint64(k[8:], uint64(i))
		x.Add(k, t0.Add(time.Duration(i)*span*generations/max))
	}
	now := t0.Add(time.Hour)
	b.ResetTimer()
	for i := range b.N {
		binary.LittleEndian.PutUint64(k[:], uint64(i)*0xc2b2ae3d27d4eb4f+1)
		binary.LittleEndian.PutUint64(k[8:], ^uint64(i))
		if x.Contains(k, now) {
			b.Fatal("new key found")
		}
	}
}

// BenchmarkFresh is what a new log pays per appended key: Contains and Add
// on an index created for the default maximum, 50 000 keys per op.
func BenchmarkFresh(b *testing.B) {
	t0 := time.Unix(1_700_000_000, 0)
	var k Key
	for b.Loop() {
		x := New(time.Hour, 2_000_000)
		for i := range 50_000 {
			binary.LittleEndian.PutUint64(k[:], uint64(i)*0x9e3779b97f4a7c15)
			binary.LittleEndian.PutUint64(k[8:], uint64(i))
			if !x.Contains(k, t0) {
				x.Add(k, t0)
			}
		}
	}
}
