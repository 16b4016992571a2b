package natsrv_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/highwayhash"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestDamagedStreamConfigIsQuarantined: a stream's config file (meta.inf)
// or its checksum (meta.sum) is damaged while the embedded server is down.
// At the next Start a config the server would skip or take offline is moved
// aside and counted; creating the stream again (as its owner does) brings
// back its stored messages, and recreating its durable consumer its acked
// position. An intact config is kept.
func TestDamagedStreamConfigIsQuarantined(t *testing.T) {
	cases := []struct {
		name        string
		damage      func(f files) files
		quarantined bool
	}{
		{"intact", func(f files) files { return f }, false},
		{"bit flip, checksum stale", func(f files) files {
			return files{strings.Replace(f.meta, `"subjects"`, `"subjectr"`, 1), f.sum}
		}, true},
		{"not JSON, checksum stale", func(f files) files { return files{"z" + f.meta[1:], f.sum} }, true},
		{"checksum damaged", func(f files) files { return files{f.meta, "1" + f.sum[1:]} }, true},
		{"checksum torn", func(f files) files { return files{f.meta, f.sum[:3]} }, true},
		{"unknown field, checksum matches", func(f files) files {
			return withSum(strings.Replace(f.meta, `"sealed"`, `"sealee"`, 1))
		}, true},
		{"required API level too high, checksum matches", func(f files) files {
			return withSum(strings.Replace(f.meta, `"_nats.req.level":"0"`, `"_nats.req.level":"8"`, 1))
		}, true},
		{"not JSON, checksum matches", func(f files) files { return withSum("z" + f.meta[1:]) }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := filepath.Join(t.TempDir(), "log")
			s := newServer(t, natsrv.Config{Dir: dir})
			start(t, s)
			cfg := jetstream.StreamConfig{Name: "S", Subjects: []string{"s"}}
			ccfg := jetstream.ConsumerConfig{Durable: "c", AckPolicy: jetstream.AckExplicitPolicy}
			st, err := s.JetStream().CreateStream(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			c, err := st.CreateOrUpdateConsumer(ctx, ccfg)
			if err != nil {
				t.Fatal(err)
			}
			for range 5 {
				if _, err := s.JetStream().Publish(ctx, "s", []byte("x")); err != nil {
					t.Fatal(err)
				}
			}
			batch, err := c.Fetch(2)
			if err != nil {
				t.Fatal(err)
			}
			for m := range batch.Messages() {
				if err := m.DoubleAck(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}

			sdir := filepath.Join(dir, "jetstream", "$G", "streams", "S")
			meta, sum := filepath.Join(sdir, "meta.inf"), filepath.Join(sdir, "meta.sum")
			f := tc.damage(files{readFile(t, meta), readFile(t, sum)})
			writeFile(t, meta, f.meta)
			writeFile(t, sum, f.sum)

			reg := prometheus.NewRegistry()
			set := quiet
			set.Registerer = reg
			s2, err := natsrv.New(natsrv.Config{Dir: dir}, set)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s2.Shutdown(context.Background()) })
			start(t, s2)
			_, err = s2.JetStream().Stream(ctx, "S")
			moved, _ := filepath.Glob(filepath.Join(dir, "quarantine", "$G", "S", "stream-config-*", "meta.inf"))
			n := testkit.Metric(t, reg, "bridge_nats_quarantined_stream_configs_total")
			if tc.quarantined {
				if !errors.Is(err, jetstream.ErrStreamNotFound) || len(moved) != 1 || n != 1 {
					t.Fatalf("stream lookup %v, %d moved, counted %v; want not found, 1 and 1", err, len(moved), n)
				}
			} else if err != nil || len(moved) != 0 || n != 0 {
				t.Fatalf("stream lookup %v, %d moved, counted %v; want found, 0 and 0", err, len(moved), n)
			}

			st, err = s2.JetStream().CreateOrUpdateStream(ctx, cfg)
			if err != nil {
				t.Fatalf("create the stream again: %v", err)
			}
			info, err := st.Info(ctx)
			if err != nil || info.State.Msgs != 5 || info.State.FirstSeq != 1 || info.State.LastSeq != 5 {
				t.Fatalf("stream after restart: %+v, %v; want its 5 messages, 1 to 5", info.State, err)
			}
			c, err = st.CreateOrUpdateConsumer(ctx, ccfg)
			if err != nil {
				t.Fatalf("create the consumer again: %v", err)
			}
			ci, err := c.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ci.AckFloor.Stream != 2 || ci.NumPending != 3 {
				t.Fatalf("consumer after restart: ack floor %+v, %d pending; want 2 acked and 3 pending", ci.AckFloor, ci.NumPending)
			}
		})
	}
}

// files are a stream's meta.inf and meta.sum.
type files struct{ meta, sum string }

// withSum returns meta with the checksum nats-server writes for stream S.
func withSum(meta string) files {
	key := sha256.Sum256([]byte("S"))
	hh, _ := highwayhash.NewDigest64(key[:])
	hh.Write([]byte(meta))
	return files{meta, hex.EncodeToString(hh.Sum(nil))}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	buf, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf)
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
