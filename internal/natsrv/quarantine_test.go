package natsrv_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestDamagedConsumerConfigIsQuarantined: a durable consumer's meta.inf is
// damaged while the embedded server is down. At the next Start a config the
// server would refuse is moved aside and counted, so the stream stays
// online (nats-server stops a stream over an unknown field) and the
// consumer can be recreated; an intact one is kept with its state.
func TestDamagedConsumerConfigIsQuarantined(t *testing.T) {
	cases := []struct {
		name        string
		damage      func(meta string) string
		quarantined bool
	}{
		{"intact", func(m string) string { return m }, false},
		{"changed value", func(m string) string { return strings.Replace(m, "bridge test", "bridge tesu", 1) }, false},
		{"unknown field", func(m string) string { return strings.Replace(m, `"durable_name"`, `"eurable_name"`, 1) }, true},
		{"not JSON", func(m string) string { return "z" + m[1:] }, true},
		{"torn", func(m string) string { return m[:len(m)/2] }, true},
		{"required API level too high", func(m string) string { // "0" → "8" is one bit
			return strings.Replace(m, `"_nats.req.level":"0"`, `"_nats.req.level":"8"`, 1)
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := filepath.Join(t.TempDir(), "log")
			s := newServer(t, natsrv.Config{Dir: dir})
			start(t, s)
			st, err := s.JetStream().CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s"}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "c", Description: "bridge test",
				AckPolicy: jetstream.AckExplicitPolicy, Metadata: map[string]string{"k": "v"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.JetStream().Publish(ctx, "s", []byte("x")); err != nil {
				t.Fatal(err)
			}
			if err := s.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}

			meta := filepath.Join(dir, "jetstream", "$G", "streams", "S", "obs", "c", "meta.inf")
			buf, err := os.ReadFile(meta)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(meta, []byte(tc.damage(string(buf))), 0o600); err != nil {
				t.Fatal(err)
			}

			reg := prometheus.NewRegistry()
			set := quiet
			set.Registerer = reg
			s2, err := natsrv.New(natsrv.Config{Dir: dir}, set)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s2.Shutdown(context.Background()) })
			start(t, s2)
			st, err = s2.JetStream().Stream(ctx, "S")
			if err != nil {
				t.Fatalf("stream after restart: %v", err)
			}
			info, err := st.Info(ctx)
			if err != nil || info.State.Msgs != 1 {
				t.Fatalf("stream after restart: %+v, %v; want its 1 message", info, err)
			}
			_, err = st.Consumer(ctx, "c")
			moved, _ := filepath.Glob(filepath.Join(dir, "quarantine", "$G", "S", "c-*", "meta.inf"))
			n := testkit.Metric(t, reg, "bridge_nats_quarantined_consumers_total")
			if tc.quarantined {
				if !errors.Is(err, jetstream.ErrConsumerNotFound) || len(moved) != 1 || n != 1 {
					t.Fatalf("consumer lookup %v, %d moved, counted %v; want not found, 1 and 1", err, len(moved), n)
				}
				if _, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "c", AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
					t.Fatalf("recreate: %v", err)
				}
				return
			}
			if err != nil || len(moved) != 0 || n != 0 {
				t.Fatalf("consumer lookup %v, %d moved, counted %v; want found, 0 and 0", err, len(moved), n)
			}
		})
	}
}
