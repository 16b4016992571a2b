package dedup

import (
	"fmt"
	"testing"
	"time"
)

// TestFilter: no key added is ever reported absent, a removed key is absent
// again unless another key shares its counters, and false positives stay
// near the sized rate, at the index's maximum and after removals.
func TestFilter(t *testing.T) {
	const n = 50_000
	f := newFilter(n)
	keys := make([]Key, 2*n)
	for i := range keys {
		keys[i] = KeyOf("site", fmt.Sprint(i))
	}
	for _, k := range keys[:n] {
		f.add(k)
	}
	f.add(keys[0]) // a second copy: one removal must not forget it
	fp := 0
	for _, k := range keys[n:] {
		if f.mayContain(k) {
			fp++
		}
	}
	if rate := float64(fp) / n; rate > 0.06 {
		t.Errorf("false positives %.3f at the sized maximum, want about 0.03", rate)
	}
	for _, k := range keys[:n/2] {
		f.remove(k)
	}
	if !f.mayContain(keys[0]) {
		t.Fatal("a key added twice and removed once is reported absent")
	}
	fp = 0
	for i, k := range keys[:n] {
		in := f.mayContain(k)
		if i >= n/2 && !in {
			t.Fatalf("key %d, added and not removed, reported absent", i)
		}
		if i > 0 && i < n/2 && in {
			fp++
		}
	}
	if rate := float64(fp) / (n / 2); rate > 0.03 {
		t.Errorf("removed keys still reported %.3f of the time at half load, want below 0.03", rate)
	}
}

// TestIndexFilter: through the filter's build, its growths and evictions,
// the index still holds exactly the keys it should.
func TestIndexFilter(t *testing.T) {
	const maxKeys = 64_000 // 4 000 keys per generation
	t0 := time.Unix(1_700_000_000, 0)
	x := New(time.Hour, maxKeys)
	key := func(i int) Key { return KeyOf("s", fmt.Sprint(i)) }
	check := func(from, to int, want bool) {
		t.Helper()
		for i := from; i < to; i++ {
			if got := x.Contains(key(i), t0.Add(time.Minute)); got != want {
				t.Fatalf("key %d held = %v, want %v (Len %d, filter sized %d)", i, got, want, x.Len(), x.sized)
			}
		}
	}
	for n, end := range []int{6_000, 40_000, 100_000} { // no filter yet; grown twice; evicting
		start := []int{0, 6_000, 40_000}[n]
		for i := start; i < end; i++ {
			x.Add(key(i), t0.Add(time.Duration(i)*time.Millisecond))
		}
		if (x.filter != nil) != (n > 0) {
			t.Fatalf("after %d keys: filter built = %v", end, x.filter != nil)
		}
		oldest := max(0, end-x.Len())
		check(0, oldest, false)
		check(oldest, end, true)
		check(end, end+20_000, false)
	}
}
