package natsrv

import (
	"context"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// EnsureStream creates cfg's stream or updates it to cfg. A stream that
// exists with another replica count is scaled to cfg.Replicas (logged);
// when the servers refuse that, the stream keeps its count, the rest of cfg
// is applied and a warning says so. logger nil: slog.Default().
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig, logger *slog.Logger) (jetstream.Stream, error) {
	have := existingReplicas(ctx, js, cfg.Name)
	logScale(logger, "stream", cfg.Name, have, cfg.Replicas)
	st, err := js.CreateOrUpdateStream(ctx, cfg)
	if err == nil && have != 0 && have != max(cfg.Replicas, 1) {
		waitPeers(ctx, js, cfg.Name, cfg.Replicas, logger)
	}
	if err == nil || have == 0 || have == cfg.Replicas {
		return st, err
	}
	keep := cfg
	keep.Replicas = have
	if st, err2 := js.CreateOrUpdateStream(ctx, keep); err2 == nil {
		warnKept(logger, "stream", cfg.Name, have, cfg.Replicas, err)
		return st, nil
	}
	return nil, err
}

// EnsureKeyValue is EnsureStream for a KV bucket.
func EnsureKeyValue(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig, logger *slog.Logger) (jetstream.KeyValue, error) {
	have := existingReplicas(ctx, js, "KV_"+cfg.Bucket)
	logScale(logger, "bucket", cfg.Bucket, have, cfg.Replicas)
	kv, err := js.CreateOrUpdateKeyValue(ctx, cfg)
	if err == nil && have != 0 && have != max(cfg.Replicas, 1) {
		waitPeers(ctx, js, "KV_"+cfg.Bucket, cfg.Replicas, logger)
	}
	if err == nil || have == 0 || have == cfg.Replicas {
		return kv, err
	}
	keep := cfg
	keep.Replicas = have
	if kv, err2 := js.CreateOrUpdateKeyValue(ctx, keep); err2 == nil {
		warnKept(logger, "bucket", cfg.Bucket, have, cfg.Replicas, err)
		return kv, nil
	}
	return nil, err
}

// existingReplicas is the replica count of stream name, 0 when it does not
// exist or cannot be read (then creating it reports the problem).
func existingReplicas(ctx context.Context, js jetstream.JetStream, name string) int {
	st, err := js.Stream(ctx, name)
	if err != nil {
		return 0
	}
	return max(st.CachedInfo().Config.Replicas, 1)
}

// maxPeerWait bounds how long a scaled stream's new copies may take to
// catch up before EnsureStream returns anyway (with a warning).
const maxPeerWait = 30 * time.Second

// waitPeers waits until stream name has want copies that are all current:
// until then the servers refuse to place the stream's consumers.
func waitPeers(ctx context.Context, js jetstream.JetStream, name string, want int, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, maxPeerWait)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if st, err := js.Stream(ctx, name); err == nil && peersCurrent(st.CachedInfo().Cluster) >= want {
			return
		}
		select {
		case <-ctx.Done():
			orDefault(logger).Warn("a stream's new copies are not current yet; consumers may fail to start until they are", "stream", name, "replicas", want)
			return
		case <-tick.C:
		}
	}
}

// peersCurrent counts the leader and the replicas that are current.
func peersCurrent(ci *jetstream.ClusterInfo) int {
	if ci == nil || ci.Leader == "" {
		return 0
	}
	n := 1
	for _, p := range ci.Replicas {
		if p.Current {
			n++
		}
	}
	return n
}

func logScale(logger *slog.Logger, kind, name string, have, want int) {
	if have != 0 && have != max(want, 1) {
		orDefault(logger).Info("changing the replica count of an existing "+kind, kind, name, "from", have, "to", want)
	}
}

func warnKept(logger *slog.Logger, kind, name string, have, want int, err error) {
	orDefault(logger).Warn("the servers refused to change the replica count of an existing "+kind+"; it keeps its count (set event_log.replicas, or scale it with the nats CLI)",
		kind, name, "replicas", have, "wanted", want, "err", err)
}

func orDefault(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
