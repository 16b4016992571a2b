package app

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/natstest"
)

// Two nodes' erasure claims on one job: the second is refused while the
// first holds it, and takes it once the first released it.
func TestTurnsErasureClaim(t *testing.T) {
	js := natstest.JetStream(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	a, b := newTurns(), newTurns()
	for _, n := range []*turns{a, b} {
		if err := n.open(ctx, js, "TEST_LEASES", 1, time.Hour, quiet); err != nil {
			t.Fatal(err)
		}
	}
	releaseA, ok, err := a.Claim(ctx, "er_1")
	if err != nil || !ok {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	if _, ok, err := b.Claim(ctx, "er_1"); err != nil || ok {
		t.Fatalf("second node's claim while held: %v %v, want refused", ok, err)
	}
	if releaseB, ok, err := b.Claim(ctx, "er_2"); err != nil || !ok {
		t.Fatalf("another job: %v %v", ok, err)
	} else {
		releaseB()
	}
	releaseA()
	releaseB, ok, err := b.Claim(ctx, "er_1")
	if err != nil || !ok {
		t.Fatalf("claim after release: %v %v", ok, err)
	}
	releaseB()
}
