package chsink

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestStrColViews: whatever the value sizes (empty, crossing chunk ends,
// larger than a chunk, appended past room), views give back every row, from
// any first row, also after reset reuses the chunks.
func TestStrColViews(t *testing.T) {
	val := func(i, n int) string { return strings.Repeat(string(rune('a'+i%26)), n) }
	for _, tc := range []struct {
		name string
		size func(rng *rand.Rand, i int) int // -1: append via room past its promise
	}{
		{"empty", func(*rand.Rand, int) int { return 0 }},
		{"small", func(rng *rand.Rand, _ int) int { return rng.IntN(40) }},
		{"mixed", func(rng *rand.Rand, i int) int {
			if i%97 == 0 {
				return 0
			}
			return rng.IntN(3000)
		}},
		{"larger than a chunk", func(rng *rand.Rand, i int) int {
			if i%50 == 0 {
				return maxChunk + rng.IntN(5000)
			}
			return rng.IntN(100)
		}},
		{"past room", func(rng *rand.Rand, i int) int {
			if i%3 == 0 {
				return -1
			}
			return rng.IntN(500)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var c strCol
			for round := range 3 { // the second and third reuse the chunks
				var want []string
				for i := range 3000 + round*1000 {
					switch n := tc.size(rng, i); n {
					case -1:
						c.room(8)
						v := val(i, 8+rng.IntN(minChunk*2))
						c.buf = append(c.buf, v...)
						c.seal()
						want = append(want, v)
					default:
						want = append(want, val(i, n))
						c.add(want[i])
					}
				}
				total := 0
				for _, w := range want {
					total += len(w)
				}
				if c.bytes() != total || len(c.end) != len(want) {
					t.Fatalf("round %d: %d bytes in %d rows, want %d in %d", round, c.bytes(), len(c.end), total, len(want))
				}
				for _, lo := range []int{0, 1, 777, len(want) - 1} {
					got := make([]string, len(want)-lo)
					c.views(got, lo)
					for i, g := range got {
						if g != want[lo+i] {
							t.Fatalf("round %d, views from %d: row %d is %s, want %s", round, lo, lo+i, abbrev(g), abbrev(want[lo+i]))
						}
					}
				}
				c.reset()
			}
		})
	}
}

func abbrev(s string) string {
	if len(s) > 12 {
		return fmt.Sprintf("%q… (%d bytes)", s[:12], len(s))
	}
	return fmt.Sprintf("%q", s)
}
