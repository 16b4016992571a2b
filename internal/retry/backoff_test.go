package retry

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const ms = time.Millisecond
	top := math.Nextafter(1, 0) // the largest rand value: the nominal wait
	floor := func(w time.Duration) time.Duration { return w - w/2 }
	const q = time.Duration(math.MaxInt64 / 4)
	tests := []struct {
		name     string
		min, max time.Duration
		rand     float64
		calls    string // n: Next, r: Reset
		want     []time.Duration
	}{
		{"doubles up to max", 100 * ms, 1000 * ms, top, "nnnnnn", []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1000 * ms, 1000 * ms}},
		{"jitter floor is half", 100 * ms, 1000 * ms, 0, "nnnnn", []time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 500 * ms}},
		{"reset starts from min", 1 * ms, 8 * ms, top, "nnnrnn", []time.Duration{1 * ms, 2 * ms, 4 * ms, 1 * ms, 2 * ms}},
		{"max not a power of two of min", 3 * ms, 10 * ms, top, "nnnn", []time.Duration{3 * ms, 6 * ms, 10 * ms, 10 * ms}},
		{"max below min is min", 5 * ms, 1 * ms, top, "nnn", []time.Duration{5 * ms, 5 * ms, 5 * ms}},
		{"min zero is 1ms", 0, 4 * ms, top, "nnnn", []time.Duration{1 * ms, 2 * ms, 4 * ms, 4 * ms}},
		{"min negative is 1ms", -time.Second, 0, top, "nn", []time.Duration{1 * ms, 1 * ms}},
		{"huge max does not overflow", q, math.MaxInt64, 0, "nnnnn",
			[]time.Duration{floor(q), floor(2 * q), floor(4 * q), floor(math.MaxInt64), floor(math.MaxInt64)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := Backoff{Min: tc.min, Max: tc.max, rand: func() float64 { return tc.rand }}
			var got []time.Duration
			for _, c := range tc.calls {
				if c == 'r' {
					b.Reset()
					continue
				}
				got = append(got, b.Next())
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("waits %v, want %v", got, tc.want)
			}
		})
	}
}

// With the real random source every wait lies in [nominal/2, nominal].
func TestBackoffJitterBounds(t *testing.T) {
	b := Backoff{Min: 10 * time.Millisecond, Max: 80 * time.Millisecond}
	nominal := []time.Duration{10, 20, 40, 80, 80}
	for round := range 200 {
		b.Reset()
		for i, n := range nominal {
			n *= time.Millisecond
			if d := b.Next(); d < n/2 || d > n {
				t.Fatalf("round %d wait %d: %v outside [%v, %v]", round, i, d, n/2, n)
			}
		}
	}
}

func TestSleep(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(live)
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want bool
	}{
		{"live ctx waits", live, time.Millisecond, true},
		{"zero wait", live, 0, true},
		{"ended ctx", done, time.Hour, false},
		{"ended ctx, zero wait", done, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sleep(tc.ctx, tc.d); got != tc.want {
				t.Fatalf("Sleep = %v, want %v", got, tc.want)
			}
		})
	}
	// a ctx ending during the wait cuts it short
	ctx, cancel := context.WithCancel(live)
	go cancel()
	if Sleep(ctx, time.Hour) {
		t.Fatal("Sleep outlived its ctx")
	}
}
