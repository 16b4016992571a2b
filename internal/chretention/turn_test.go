package chretention_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chretention"
	"github.com/popinbridge/bridge/internal/lease"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/testkit"
)

// Two nodes sharing a lease: at each interval only the node holding the
// turn runs a pass (it asks for its database); the other counts it as
// elsewhere and does not.
func TestRetentionTurnOneNode(t *testing.T) {
	ns, err := natsrv.New(natsrv.Config{Dir: t.TempDir()}, natsrv.Settings{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := ns.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ns.Shutdown(context.Background()) })
	kv, err := lease.OpenBucket(ctx, ns.JetStream(), "LEASES", 1, quiet)
	if err != nil {
		t.Fatal(err)
	}

	var (
		mu      sync.Mutex
		answers = map[string]bool{}
		passes  = map[string]*atomic.Int64{}
	)
	for _, node := range []string{"node-a", "node-b"} {
		l, err := lease.New(kv, "retention", node, time.Hour, nil)
		if err != nil {
			t.Fatal(err)
		}
		passes[node] = &atomic.Int64{}
		r, err := chretention.New(chretention.NewDefaultConfig(), chretention.Settings{
			DB:     func() *chdb.DB { passes[node].Add(1); return nil },
			Sites:  site.NewStatic(nil),
			Logger: quiet,
			Turn: func(ctx context.Context) (bool, error) {
				ok, err := l.Acquire(ctx)
				mu.Lock()
				answers[node] = ok
				mu.Unlock()
				return ok, err
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(answers) != 2 {
			return fmt.Errorf("%d of 2 nodes asked for the turn", len(answers))
		}
		return nil
	})
	holder := ""
	for node, ok := range answers {
		if ok {
			if holder != "" {
				t.Fatalf("both %s and %s got the turn", holder, node)
			}
			holder = node
		}
	}
	if holder == "" {
		t.Fatal("no node got the turn")
	}
	// The holder's pass asked for its database (positive control); the
	// other node asked for the turn first, so it has decided already.
	testkit.Eventually(t, 10*time.Second, func() error {
		if n := passes[holder].Load(); n < 1 {
			return fmt.Errorf("the holder %s ran no pass", holder)
		}
		return nil
	})
	for node, n := range passes {
		if node != holder && n.Load() != 0 {
			t.Fatalf("%s ran %d passes without the turn", node, n.Load())
		}
	}
}
