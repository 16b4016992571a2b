package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/bridge/internal/config"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// startClusterNode starts a bridge node with role against the NATS
// cluster c; it is shut down at test end. edits change its configuration.
func startClusterNode(t *testing.T, c *natstest.Cluster, role string, edits ...func(*config.Config)) *App {
	t.Helper()
	cfg := testConfig(t)
	cfg.EventLog.NATS.URL = c.URLs()
	cfg.MasterKey = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
	cfg.Role = role
	for _, e := range edits {
		e(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, quietLogger(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	return a
}

// On a 3-server JetStream cluster every stream and KV bucket the bridge
// creates, and every durable consumer, has three current copies.
func TestClusterEveryStreamReplicated(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	startClusterNode(t, c, config.RoleAll)
	js := c.Connect(c.Nodes[0])
	ctx := context.Background()
	want := map[string]bool{"BRIDGE_EVENTS": true, "BRIDGE_EVENTS_DEDUP": true, "BRIDGE_DELIVERIES": true,
		"KV_BRIDGE_DEAD_LETTERS": true, "KV_bridge_mgmt": true}
	testkit.Eventually(t, 30*time.Second, func() error {
		names := js.StreamNames(ctx)
		seen, consumers := 0, 0
		for name := range names.Name() {
			if !want[name] {
				continue
			}
			seen++
			st, err := js.Stream(ctx, name)
			if err != nil {
				return err
			}
			info := st.CachedInfo()
			if err := threeCopies(name, info.Config.Replicas, info.Cluster); err != nil {
				return err
			}
			for ci := range st.ListConsumers(ctx).Info() {
				if ci.Config.Durable == "" {
					continue
				}
				if err := threeCopies(name+"/"+ci.Name, 3, ci.Cluster); err != nil {
					return err
				}
				consumers++
			}
		}
		if seen != len(want) {
			return fmt.Errorf("%d of the %d streams exist", seen, len(want))
		}
		if consumers < 2 { // the log's readers clickhouse and forwarder
			return fmt.Errorf("%d durable consumers, want the log's two readers at least", consumers)
		}
		return nil
	})
}

func threeCopies(name string, configured int, ci *jetstream.ClusterInfo) error {
	if configured != 3 || ci == nil || ci.Leader == "" || len(ci.Replicas) != 2 {
		return fmt.Errorf("%s: %d replicas configured, cluster %+v; want 3 with a leader and 2 peers", name, configured, ci)
	}
	for _, p := range ci.Replicas {
		if !p.Current {
			return fmt.Errorf("%s: peer %s not current", name, p.Name)
		}
	}
	return nil
}
