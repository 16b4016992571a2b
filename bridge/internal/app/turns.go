package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/popinbridge/bridge/internal/lease"
)

// turns holds this node's side of the cluster-wide turns (internal/lease,
// bucket <controlplane.bucket>_LEASES): of the deliver nodes, only the one
// holding the retention lease runs a retention pass (it keeps the turn by
// renewing it at each pass; one that stops releases it, one that dies is
// replaced once its lease, two intervals, has ended); an erasure request
// is carried out by the node holding its lease (erasure-<id>), renewed
// while the job runs.
type turns struct {
	holder    string // <hostname>-<random>: unique per process
	kv        atomic.Pointer[jetstream.KeyValue]
	retention atomic.Pointer[lease.Lease]
}

// jobLease is how long an erasure claim lasts without renewal; it is
// renewed every third of it while the job runs.
const jobLease = 3 * time.Minute

func newTurns() *turns {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "bridge"
	}
	return &turns{holder: host + "-" + nuid.Next()}
}

// start opens the bucket and the retention lease.
func (t *turns) start(ctx context.Context, a *App) error {
	return t.open(ctx, a.nats.JetStream(), a.cfg.ControlPlane.Bucket+"_LEASES", a.nats.Replicas(), a.cfg.Retention.Interval, a.log)
}

func (t *turns) open(ctx context.Context, js jetstream.JetStream, bucket string, replicas int, retentionEvery time.Duration, log *slog.Logger) error {
	kv, err := lease.OpenBucket(ctx, js, bucket, replicas, log)
	if err != nil {
		return err
	}
	l, err := lease.New(kv, "retention", t.holder, 2*retentionEvery, nil)
	if err != nil {
		return fmt.Errorf("retention lease: %w", err)
	}
	t.kv.Store(&kv)
	t.retention.Store(l)
	return nil
}

// Claim implements erasure.Claimer with the lease erasure-<job>.
func (t *turns) Claim(ctx context.Context, job string) (func(), bool, error) {
	kv := t.kv.Load()
	if kv == nil {
		return nil, false, errors.New("the lease bucket is not open")
	}
	l, err := lease.New(*kv, "erasure-"+job, t.holder, jobLease, nil)
	if err != nil {
		return nil, false, err
	}
	if ok, err := l.Acquire(ctx); !ok || err != nil {
		return nil, ok, err
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(jobLease / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				_, _ = l.Acquire(context.Background()) // lost: the job goes on (idempotent); the other node may repeat it
			}
		}
	}()
	return func() {
		close(stop)
		<-stopped
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = l.Release(ctx)
	}, true, nil
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
