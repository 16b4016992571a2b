package testkit_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/popinbridge/bridge/internal/testkit"
)

func TestLockedBuffer(t *testing.T) {
	var b testkit.LockedBuffer
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 100 {
				fmt.Fprintf(&b, "%d\n", i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 400 {
		t.Fatalf("%d lines, want 400", n)
	}
}
