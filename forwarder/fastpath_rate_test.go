package forwarder

import (
	"testing"
	"time"
)

func TestAttemptCount(t *testing.T) {
	const w = 8 * time.Second // buckets of 1 s
	s := int64(time.Second)
	for _, tc := range []struct {
		name string
		adds []int64 // times of attempts (ns)
		at   int64
		want int64
	}{
		{"none", nil, 100 * s, 0},
		{"same bucket", []int64{100 * s, 100*s + 1, 100*s + s/2}, 100*s + s/2, 3},
		{"whole window", []int64{93 * s, 95 * s, 100 * s}, 100 * s, 3},
		{"older than the window", []int64{92 * s, 92*s + s/2, 100 * s}, 100 * s, 1},
		{"bucket reused after a lap", []int64{90 * s, 98 * s}, 98 * s, 1},
		{"all expired", []int64{10 * s, 11 * s}, 100 * s, 0},
		{"epochs past 32 bits", []int64{(1<<32 + 5) * s, (1<<32 + 6) * s}, (1<<32 + 6) * s, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newAttemptCount(w)
			for _, at := range tc.adds {
				c.add(at)
			}
			if got := c.last(tc.at); got != tc.want {
				t.Errorf("last = %d, want %d", got, tc.want)
			}
		})
	}
}
