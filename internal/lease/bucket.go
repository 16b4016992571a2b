package lease

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/internal/natsrv"
)

// OpenBucket creates or opens the KV bucket that holds leases (one key
// each, no history), with replicas copies, retrying while a NATS cluster
// elects leaders.
func OpenBucket(ctx context.Context, js jetstream.JetStream, bucket string, replicas int, logger *slog.Logger) (jetstream.KeyValue, error) {
	var kv jetstream.KeyValue
	err := natsrv.StartRetrying(ctx, logger, "leases", func(ctx context.Context) (err error) {
		kv, err = natsrv.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{
			Bucket: bucket, Description: "bridge: which node holds each cluster-wide turn (leases)",
			History: 1, MaxValueSize: 256, Storage: jetstream.FileStorage, Replicas: replicas,
		}, logger)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lease: bucket %s: %w", bucket, err)
	}
	return kv, nil
}
