package testkit

import (
	"os"
	"testing"
)

// The process's own CPU read both ways agrees in order of magnitude, and
// grows with work done (a positive control for every figure built on it).
func TestCPU(t *testing.T) {
	before := SelfCPU()
	x := 0
	for i := range 50_000_000 {
		x += i % 7
	}
	_ = x
	after := SelfCPU()
	if after <= before {
		t.Fatalf("SelfCPU did not grow with work: %v -> %v", before, after)
	}
	proc, err := ProcCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if proc <= 0 {
		t.Fatalf("ProcCPU(self) = %v", proc)
	}
	if _, err := ProcCPU(-1); err == nil {
		t.Fatal("ProcCPU of no process gave no error")
	}
	if d := CPUOfCommand("no process has this in its command line \x01"); d != 0 {
		t.Fatalf("CPUOfCommand of nothing = %v", d)
	}
}
