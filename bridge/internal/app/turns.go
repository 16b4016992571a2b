package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/nats-io/nuid"

	"github.com/popinbridge/bridge/internal/lease"
)

// turns holds this node's side of the cluster-wide turns (internal/lease,
// bucket <controlplane.bucket>_LEASES): of the deliver nodes, only the one
// holding the retention lease runs a retention pass. A node keeps the turn
// by renewing it at each pass; one that stops releases it, one that dies
// is replaced once its lease (two intervals) has ended.
type turns struct {
	holder    string // <hostname>-<random>: unique per process
	retention atomic.Pointer[lease.Lease]
}

func newTurns() *turns {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "bridge"
	}
	return &turns{holder: host + "-" + nuid.Next()}
}

// start opens the bucket and the retention lease.
func (t *turns) start(ctx context.Context, a *App) error {
	kv, err := lease.OpenBucket(ctx, a.nats.JetStream(), a.cfg.ControlPlane.Bucket+"_LEASES", a.nats.Replicas(), a.log)
	if err != nil {
		return err
	}
	l, err := lease.New(kv, "retention", t.holder, 2*a.cfg.Retention.Interval, nil)
	if err != nil {
		return fmt.Errorf("retention lease: %w", err)
	}
	t.retention.Store(l)
	return nil
}

// retentionTurn is chretention's Settings.Turn.
func (t *turns) retentionTurn(ctx context.Context) (bool, error) {
	l := t.retention.Load()
	if l == nil {
		return false, errors.New("the lease bucket is not open")
	}
	return l.Acquire(ctx)
}

// release gives the turns up so another node takes them at once.
func (t *turns) release(ctx context.Context) error {
	if l := t.retention.Load(); l != nil {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return l.Release(ctx)
	}
	return nil
}
