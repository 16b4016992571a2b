package forwarder

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Live nodes, for the cluster-wide rate limit (ratelimit.go): every
// forwarder node puts its own key into the KV bucket
// <stream_prefix>_FORWARDER_NODES every nodeBeat, and keys expire nodeTTL
// after their last put (a clean shutdown deletes its key at once). A node
// counts the keys after each beat; its share of an endpoint's rate_limit
// is rate_limit / that count. So the cluster-wide rate holds once every
// node has counted the same nodes; meanwhile:
//   - a node joining is counted by the others within nodeBeat: for up to
//     that long the cluster may send up to rate × (N+1)/N;
//   - a node that crashed keeps its key up to nodeTTL: the others send
//     rate × (N−1)/N (less, never more) until it expires;
//   - a node whose beat fails keeps its last count (it starts at 1: a
//     single node is exact without the bucket).
//
// Shares of nodes with no work go unused; since rate-limited endpoints
// get all their deliveries through the shared durable queue, every node
// fetches from a backlog.
const (
	nodeBeat = 5 * time.Second
	nodeTTL  = 3 * nodeBeat
)

// liveNodes is how many forwarder nodes this node counts (at least 1).
func (f *Forwarder) liveNodes() int { return max(1, int(f.nodes.Load())) }

// openNodes creates (or opens) the bucket of live nodes. It lives in
// memory: it is rebuilt by the beats within nodeTTL.
func (f *Forwarder) openNodes(ctx context.Context, js jetstream.JetStream) error {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: f.cfg.StreamPrefix + "_FORWARDER_NODES", Description: "live forwarder nodes (rate limit shares)",
		History: 1, TTL: nodeTTL, Storage: jetstream.MemoryStorage, Replicas: f.set.NATS.Replicas(),
	})
	if err != nil {
		return err
	}
	f.nodesKV = kv
	return nil
}

// beat keeps this node's key alive and recounts the nodes until ctx ends,
// then deletes the key.
func (f *Forwarder) beat(ctx context.Context) {
	t := time.NewTicker(nodeBeat)
	defer t.Stop()
	for {
		f.beatOnce(ctx)
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = f.nodesKV.Delete(dctx, f.nodeID)
			return
		case <-t.C:
		}
	}
}

func (f *Forwarder) beatOnce(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, nodeBeat)
	defer cancel()
	if _, err := f.nodesKV.PutString(ctx, f.nodeID, time.Now().UTC().Format(time.RFC3339)); err != nil {
		if ctx.Err() == nil {
			f.logs.Warn("nodes", "live-node beat failed; keeping the last count of nodes", "err", err)
		}
		return
	}
	keys, err := f.nodesKV.ListKeys(ctx)
	if err != nil {
		return
	}
	n := 0
	for range keys.Keys() { // closed once every key is listed
		n++
	}
	_ = keys.Stop() // already stopped: releases nothing more
	if n > 0 {
		f.nodes.Store(int32(n))
	}
}
