// Package testkit holds the few helpers the tests of every part share. It is
// an ordinary package so any _test.go file in the module can import it; no
// non-test code may.
package testkit

import (
	"testing"
	"time"
)

// maxInterval caps the pause between two calls of an Eventually condition.
const maxInterval = 100 * time.Millisecond

// Eventually calls cond until it returns nil. Between calls it sleeps, first
// 1ms and then twice as long each time up to 100ms, and never past the
// deadline, so cond is called once more when timeout has passed. If that call
// fails too, Eventually fails t with cond's last error. cond runs on the
// calling goroutine and may itself call t.Fatal.
func Eventually(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	pause := time.Millisecond
	for {
		err := cond()
		if err == nil {
			return
		}
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("not within %v: %v", timeout, err)
			return
		}
		time.Sleep(min(pause, left))
		pause = min(2*pause, maxInterval)
	}
}
