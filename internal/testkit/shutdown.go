package testkit

import (
	"context"
	"testing"
	"time"
)

// Part is a long-lived part: Start launches it, Shutdown stops it.
type Part interface {
	Start(ctx context.Context) error
	Shutdown(ctx context.Context) error
}

// CheckShutdown checks the promise every part makes about Shutdown: it
// returns nil without Start and after Start, when called twice in a row and
// when two callers race. newPart returns a fresh, unstarted part for each
// case; it may register its own cleanup with t.
func CheckShutdown(t *testing.T, newPart func(t *testing.T) Part) {
	t.Helper()
	cases := []struct {
		name            string
		start, together bool
	}{
		{"without Start, twice", false, false},
		{"without Start, two at once", false, true},
		{"after Start, twice", true, false},
		{"after Start, two at once", true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPart(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if tc.start {
				if err := p.Start(ctx); err != nil {
					t.Fatalf("Start: %v", err)
				}
			}
			errs := make(chan error, 2)
			shutdown := func() { errs <- p.Shutdown(ctx) }
			if tc.together {
				go shutdown()
				go shutdown()
			} else {
				shutdown()
				shutdown()
			}
			for i := range 2 {
				if err := <-errs; err != nil {
					t.Errorf("Shutdown %d: %v", i+1, err)
				}
			}
		})
	}
}
