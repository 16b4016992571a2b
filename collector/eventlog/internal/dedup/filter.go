package dedup

import (
	"encoding/binary"
	"math/bits"
)

// filter is a counting, blocked Bloom filter over every key an Index holds
// (each copy counted): a key it does not hold is in no generation, so
// Contains of a new key reads one 64-byte block instead of every
// generation's map. A key it may hold is looked up in the maps as before,
// so a false positive costs time, never a wrong answer.
//
// Counters are 4 bits; one that reaches 15 stays there (never decremented),
// which can only make the filter answer "maybe" more often.
type filter struct {
	blocks []filterBlock
}

// filterBlock is 128 4-bit counters, 16 to a word: one cache line.
type filterBlock [8]uint64

const (
	filterProbes       = 4 // counters per key, all in one block
	countersPerKey     = 8 // about 3 % false positives at the index's maximum
	countersPerBlock   = 128
	counterMax         = 15
	minFilterBlocks    = 8
	probeBits          = 7 // log2(countersPerBlock)
	counterShiftPerIdx = 2 // log2(4 bits per counter)
)

// newFilter sizes a filter for up to max keys: 4 bytes per key.
func newFilter(max int) filter {
	n := max * countersPerKey / countersPerBlock
	if n < minFilterBlocks {
		n = minFilterBlocks
	}
	return filter{blocks: make([]filterBlock, n)}
}

// locate returns k's block and the mixed bits choosing its counters (the
// low 28; the block is chosen by the high ones). Keys are FNV-1a hashes,
// mixed again so that every bit counts.
func (f *filter) locate(k Key) (*filterBlock, uint64) {
	h := mix(binary.LittleEndian.Uint64(k[:8]) ^ mix(binary.LittleEndian.Uint64(k[8:])))
	i, _ := bits.Mul64(h, uint64(len(f.blocks)))
	return &f.blocks[i], h
}

// mix is the splitmix64 finalizer.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// counter returns the word index and shift of the p-th counter chosen by h.
func counter(h uint64, p int) (word int, shift uint) {
	c := (h >> (p * probeBits)) & (countersPerBlock - 1)
	return int(c / 16), uint(c%16) << counterShiftPerIdx
}

// mayContain reports false only if k was never added (or added and removed
// as often).
func (f *filter) mayContain(k Key) bool {
	b, h := f.locate(k)
	for p := range filterProbes {
		w, s := counter(h, p)
		if b[w]>>s&counterMax == 0 {
			return false
		}
	}
	return true
}

// add counts one more copy of k.
func (f *filter) add(k Key) {
	b, h := f.locate(k)
	for p := range filterProbes {
		w, s := counter(h, p)
		if b[w]>>s&counterMax < counterMax {
			b[w] += 1 << s
		}
	}
}

// remove counts one copy of k less; k must have been added.
func (f *filter) remove(k Key) {
	b, h := f.locate(k)
	for p := range filterProbes {
		w, s := counter(h, p)
		if c := b[w] >> s & counterMax; c > 0 && c < counterMax {
			b[w] -= 1 << s
		}
	}
}
