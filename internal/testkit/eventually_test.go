package testkit_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/testkit"
)

// recorder is a testing.TB whose Fatalf records the message and ends the
// goroutine, as the real one does.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls Eventually on its own goroutine and returns the failure message
// ("" when it returned).
func run(timeout time.Duration, cond func() error) string {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		testkit.Eventually(r, timeout, cond)
	}()
	<-done
	return r.msg
}

func TestEventually(t *testing.T) {
	tests := []struct {
		name     string
		okAfter  int // calls that fail before cond returns nil; -1: never
		timeout  time.Duration
		wantFail string
	}{
		{name: "at once", okAfter: 0, timeout: time.Second},
		{name: "after a few calls", okAfter: 5, timeout: 10 * time.Second},
		{name: "zero timeout still calls once", okAfter: 0, timeout: 0},
		{name: "never", okAfter: -1, timeout: 20 * time.Millisecond, wantFail: "not within 20ms: call"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			msg := run(tc.timeout, func() error {
				calls++
				if tc.okAfter >= 0 && calls > tc.okAfter {
					return nil
				}
				return fmt.Errorf("call %d", calls)
			})
			if tc.wantFail == "" {
				if msg != "" || calls != tc.okAfter+1 {
					t.Fatalf("failed %q after %d calls, want success on call %d", msg, calls, tc.okAfter+1)
				}
				return
			}
			if !strings.HasPrefix(msg, tc.wantFail) || !strings.HasSuffix(msg, fmt.Sprint(calls)) {
				t.Fatalf("failure %q after %d calls, want %q... naming the last call", msg, calls, tc.wantFail)
			}
			if calls < 2 {
				t.Fatalf("cond called %d times, want the first call and one at the deadline", calls)
			}
		})
	}
}
