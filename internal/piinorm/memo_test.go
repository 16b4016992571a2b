package piinorm

import (
	"fmt"
	"testing"
	"unsafe"
)

// memo answers like the function it remembers, calls it once for a key
// seen recently, and never holds more than twice its size.
func TestMemo(t *testing.T) {
	m := newMemo(4)
	calls := 0
	f := func(k string) func() string { return func() string { calls++; return "v" + k } }
	if got := m.get("a", f("a")); got != "va" || calls != 1 {
		t.Fatalf("first get: %q, %d calls", got, calls)
	}
	if got := m.get("a", f("a")); got != "va" || calls != 1 {
		t.Fatalf("second get: %q, %d calls (want 1: remembered)", got, calls)
	}
	for i := range 100 {
		k := fmt.Sprint(i)
		if got := m.get(k, f(k)); got != "v"+k {
			t.Fatalf("get(%s) = %q", k, got)
		}
		if n := len(m.cur) + len(m.old); n > 8 {
			t.Fatalf("memo holds %d entries, bound 8", n)
		}
	}
	calls = 0
	m.get("a", f("a"))
	if calls != 1 {
		t.Errorf("a long-forgotten key was not recomputed (%d calls)", calls)
	}
}

// Phone gives the same answer from memory as computed afresh.
func TestPhoneRemembered(t *testing.T) {
	for range 2 {
		for _, c := range [][3]string{{"020 7946 0958", "GB", "442079460958"}, {"020 7946 0958", "IN", "912079460958"}, {"020 7946 0958", "", "2079460958"}} {
			if got := Phone(c[0], c[1]); got != c[2] {
				t.Errorf("Phone(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
			}
		}
	}
}

// A key whose memory changes after the call is remembered as it was (the
// sink passes keys that share an event payload's memory).
func TestMemoCopiesKey(t *testing.T) {
	m := newMemo(4)
	b := []byte("abc")
	m.get(unsafe.String(&b[0], len(b)), func() string { return "v1" })
	copy(b, "xyz")
	calls := 0
	if got := m.get("abc", func() string { calls++; return "v2" }); got != "v1" || calls != 0 {
		t.Errorf(`get("abc") = %q after %d calls, want "v1" remembered`, got, calls)
	}
	if got := m.get("xyz", func() string { calls++; return "v3" }); got != "v3" || calls != 1 {
		t.Errorf(`get("xyz") = %q after %d calls, want "v3" computed`, got, calls)
	}
}
