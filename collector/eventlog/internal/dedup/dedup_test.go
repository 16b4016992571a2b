package dedup

import (
	"fmt"
	"testing"
	"time"
)

func TestWindowAndBound(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name        string
		max         int
		adds        int
		step        time.Duration
		checkAt     time.Duration // after t0
		wantFirst   bool          // is key 0 still held?
		wantLast    bool
		wantEvicted bool
	}{
		{"inside window", 1000, 100, time.Second, 30 * time.Minute, true, true, false},
		{"first expired", 1000, 720, 10 * time.Second, 7190 * time.Second, false, true, false},
		{"all expired", 1000, 100, time.Second, 3 * time.Hour, false, false, false},
		{"bounded", 160, 1000, time.Millisecond, time.Second, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := New(time.Hour, tt.max)
			evicted := 0
			for i := range tt.adds {
				evicted += x.Add(KeyOf("s", fmt.Sprint(i)), t0.Add(time.Duration(i)*tt.step))
			}
			if x.Len() > tt.max {
				t.Fatalf("Len %d > max %d", x.Len(), tt.max)
			}
			if (evicted > 0) != tt.wantEvicted {
				t.Fatalf("evicted %d, want evictions %v", evicted, tt.wantEvicted)
			}
			now := t0.Add(tt.checkAt)
			if got := x.Contains(KeyOf("s", "0"), now); got != tt.wantFirst {
				t.Errorf("first key held = %v, want %v", got, tt.wantFirst)
			}
			if got := x.Contains(KeyOf("s", fmt.Sprint(tt.adds-1)), now); got != tt.wantLast {
				t.Errorf("last key held = %v, want %v", got, tt.wantLast)
			}
		})
	}
}

func TestKeyIncludesSite(t *testing.T) {
	if KeyOf("a", "bc") == KeyOf("ab", "c") || KeyOf("a", "x") == KeyOf("b", "x") {
		t.Fatal("keys of different site/id pairs collide")
	}
	if KeyOf("a", "x") != KeyOf("a", "x") {
		t.Fatal("key not deterministic")
	}
}

func TestKeptAtLeastWindow(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	x := New(time.Hour, 1_000_000)
	// One key per minute for three hours; each must be held a full hour later.
	for i := range 180 {
		at := t0.Add(time.Duration(i) * time.Minute)
		x.Add(KeyOf("s", fmt.Sprint(i)), at)
		if i >= 60 {
			old := i - 60
			if !x.Contains(KeyOf("s", fmt.Sprint(old)), at) {
				t.Fatalf("key added %d min ago forgotten", i-old)
			}
			// Generations make expiry coarse, by at most 1/16 of the window.
			if i >= 66 && x.Contains(KeyOf("s", fmt.Sprint(i-66)), at) {
				t.Fatalf("key added 66 min ago still held")
			}
		}
	}
}
