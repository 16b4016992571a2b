package erasure_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/controlplane/erasure"
	"github.com/popinbridge/bridge/internal/testkit"
)

// gate is a Claimer whose jobs are held by "another node" until opened.
type gate struct {
	mu       sync.Mutex
	open     bool
	refused  map[string]int
	released int
}

func (g *gate) Claim(_ context.Context, job string) (func(), bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.open {
		g.refused[job]++
		return nil, false, nil
	}
	return func() { g.mu.Lock(); g.released++; g.mu.Unlock() }, true, nil
}

func (g *gate) state(job string) (refused, released int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refused[job], g.released
}

// A request another node holds is not carried out here: it stays pending
// and its rows stay, though this node tried it (and tries again at each
// rescan); once the other node lets go, a rescan carries it out here and
// the claim is released.
func TestErasureClaimedElsewhere(t *testing.T) {
	g := &gate{refused: map[string]int{}}
	e := newEnv(t, func(c *erasure.Config, s *erasure.Settings) {
		c.Rescan = 100 * time.Millisecond
		s.Claims = g
	})
	id := e.event(t, "hashco", "u-claim", "a-claim", `{"email":"claim@example.com"}`)
	j, err := e.svc.Submit(context.Background(), erasure.Request{Site: "hashco", UID: "u-claim"}, "admin_token")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if n, _ := g.state(j.ID); n < 2 {
			return fmt.Errorf("claim refused %d times, want at least 2 (the request and a rescan)", n)
		}
		return nil
	})
	if got, err := e.svc.Job(context.Background(), j.ID); err != nil || got.Status != erasure.StatusPending {
		t.Fatalf("job held elsewhere: %+v %v, want pending", got, err)
	}
	if n := e.rowsOf(t, id); n != 1 {
		t.Fatalf("rows of the held request: %d, want 1 (not erased here)", n)
	}

	g.mu.Lock()
	g.open = true
	g.mu.Unlock()
	testkit.Eventually(t, 60*time.Second, func() error {
		got, err := e.svc.Job(context.Background(), j.ID)
		if err != nil {
			return err
		}
		if got.Status != erasure.StatusDone {
			return fmt.Errorf("status %s", got.Status)
		}
		return nil
	})
	if n := e.rowsOf(t, id); n != 0 {
		t.Fatalf("rows after the job: %d, want 0", n)
	}
	if _, released := g.state(j.ID); released < 1 {
		t.Fatal("the claim was not released after the job")
	}
}
