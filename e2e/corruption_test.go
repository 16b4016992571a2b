package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestCorruptLogRecovers: the bridge is SIGKILLed after storing and
// delivering n events (or, with ClickHouse stopped, only delivering them),
// one file of its event log store is damaged (a torn or bit-flipped tail
// record, a consumer's state or config, the event stream's config or
// checksum, the dedup key stream), and the bridge restarts on the same
// data_dir. It must become ready, keep every event acked before the damage
// in ClickHouse exactly once, accept, store and deliver new events, and not
// panic.
func TestCorruptLogRecovers(t *testing.T) {
	srv := chtest.Shared(t)
	cases := []struct {
		name    string
		corrupt func(t *testing.T, js string)
		// want are metrics after the restart (bridge_ omitted); others at 0.
		want map[string]float64
		// sinkDown: ClickHouse is stopped from before the events are sent
		// until the restart, so they are acked and delivered to the
		// endpoint but not yet read by the sink when the damage happens.
		sinkDown bool
	}{
		{"torn tail segment", func(t *testing.T, js string) {
			truncateLastRecord(t, newestBlock(t, filepath.Join(js, "streams", "BRIDGE_EVENTS")))
		}, map[string]float64{"eventlog_lost_tail_segments_total": 1}, false},
		{"bit flip in tail segment", func(t *testing.T, js string) {
			flipLastRecordBit(t, newestBlock(t, filepath.Join(js, "streams", "BRIDGE_EVENTS")))
		}, map[string]float64{"eventlog_lost_tail_segments_total": 1}, false},
		// A consumer's o.dat: magic, version, then uvarints: ack floor
		// (consumer, stream), delivered (consumer, stream), counts.
		{"bit flip in sink cursor's ack floor", func(t *testing.T, js string) {
			flipBit(t, filepath.Join(js, "streams", "BRIDGE_EVENTS", "obs", "clickhouse", "o.dat"), 0x40, at(3))
		}, nil, false},
		{"varint continuation bit in forwarder cursor", func(t *testing.T, js string) {
			flipBit(t, filepath.Join(js, "streams", "BRIDGE_EVENTS", "obs", "forwarder", "o.dat"), 0x80, at(2))
		}, nil, false},
		// A consumer's meta.inf is its JSON config: a flipped bit in a key
		// makes an unknown field, one in the syntax makes it unreadable.
		{"bit flip in a key of sink cursor config", func(t *testing.T, js string) {
			flipBit(t, filepath.Join(js, "streams", "BRIDGE_EVENTS", "obs", "clickhouse", "meta.inf"), 0x01, inString("durable_name"))
		}, map[string]float64{"nats_quarantined_consumers_total": 1}, false},
		{"bit flip in the syntax of forwarder cursor config", func(t *testing.T, js string) {
			flipBit(t, filepath.Join(js, "streams", "BRIDGE_EVENTS", "obs", "forwarder", "meta.inf"), 0x01, at(0))
		}, map[string]float64{"nats_quarantined_consumers_total": 1}, false},
		{"bit flip in a key of an endpoint queue's cursor config", func(t *testing.T, js string) {
			flipBit(t, filepath.Join(js, "streams", "BRIDGE_DELIVERIES", "obs", "fwd_crm", "meta.inf"), 0x01, inString("durable_name"))
		}, map[string]float64{"nats_quarantined_consumers_total": 1}, false},
		{"torn tail of dedup keys", func(t *testing.T, js string) {
			truncateLastRecord(t, newestBlock(t, filepath.Join(js, "streams", "BRIDGE_EVENTS_DEDUP")))
		}, nil, false},
		// A stream's meta.inf is its JSON config, meta.sum its checksum:
		// nats-server skips a stream whose checksum does not match and
		// takes one offline whose config has an unknown field.
		{"bit flip in a key of the event stream's config", func(t *testing.T, js string) {
			flipBit(t, filepath.Join(js, "streams", "BRIDGE_EVENTS", "meta.inf"), 0x01, inString("subjects"))
		}, map[string]float64{"nats_quarantined_stream_configs_total": 1}, false},
		{"bit flip in the syntax of the event stream's config", func(t *testing.T, js string) {
			flipBit(t, filepath.Join(js, "streams", "BRIDGE_EVENTS", "meta.inf"), 0x01, at(0))
		}, map[string]float64{"nats_quarantined_stream_configs_total": 1}, false},
		{"event stream's checksum does not match", func(t *testing.T, js string) {
			flipBit(t, filepath.Join(js, "streams", "BRIDGE_EVENTS", "meta.sum"), 0x01, at(0))
		}, map[string]float64{"nats_quarantined_stream_configs_total": 1}, false},
		{"unknown field in the event stream's config, checksum matches", func(t *testing.T, js string) {
			flipBitResum(t, filepath.Join(js, "streams", "BRIDGE_EVENTS"), 0x01, inString("subjects"))
		}, map[string]float64{"nats_quarantined_stream_configs_total": 1}, false},
		{"bit flip in the event stream's config, events not yet read by the sink", func(t *testing.T, js string) {
			flipBit(t, filepath.Join(js, "streams", "BRIDGE_EVENTS", "meta.inf"), 0x01, inString("subjects"))
		}, map[string]float64{"nats_quarantined_stream_configs_total": 1}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hooks, hookURL := newWebhookLog(t)
			db := uniqueDB("corrupt")
			srv := srv
			if tc.sinkDown {
				srv = chtest.New(t)
			}
			b := startBridge(t, chConfig(srv, db)+fmt.Sprintf(`clickhouse_sink: {flush_interval: 200ms}
forwarder: {allowed_private_targets: ["127.0.0.0/8"]}
endpoints:
  - {id: crm, site: acme, type: webhook, url: %q, auth: none, events: ["*"]}
`, hookURL+"/hook"))
			const n = 12
			if tc.sinkDown {
				srv.Stop()
			}
			before := sendOneByOne(t, b.addr, n)
			if tc.sinkDown {
				waitDelivered(t, hooks, before)
			} else {
				waitStoredAndDelivered(t, srv, db, hooks, before, b)
			}

			b.kill()
			tc.corrupt(t, filepath.Join(b.dataDir(), "log", "jetstream", "$G"))
			if tc.sinkDown {
				if err := srv.Restart(); err != nil {
					t.Fatal(err)
				}
			}
			b.restart()
			if err := waitHTTP("http://"+b.addr+"/readyz", 30*time.Second); err != nil {
				t.Fatalf("not ready after the restart: %v\n%s", err, b.logs())
			}

			after := sendOneByOne(t, b.addr, n)
			waitStoredAndDelivered(t, srv, db, hooks, append(before, after...), b)
			if !b.running() {
				t.Fatalf("the bridge exited after the restart\n%s", b.logs())
			}
			if logs := b.logs(); strings.Contains(logs, "panic") {
				t.Fatalf("the bridge panicked\n%s", logs)
			}
			for _, name := range []string{"nats_quarantined_consumers_total", "nats_quarantined_stream_configs_total", "eventlog_lost_tail_segments_total", "eventlog_corrupt_segments_total"} {
				if got := metricValue(t, b.addr, "bridge_"+name); got != tc.want[name] {
					t.Errorf("bridge_%s = %v, want %v\n%s", name, got, tc.want[name], b.logs())
				}
			}
			t.Logf("webhooks per event: at most %d (at least once)", hooks.maxCount())
		})
	}
}

// sendOneByOne sends n events in n requests (so n segments), each acked.
func sendOneByOne(t *testing.T, addr string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = uuid.NewString()
		frame, _ := json.Marshal(map[string]any{"batch": []any{wireEvent(ids[i], "popin_captured")}})
		if got := send(t, "http", addr, frame); got != 1 {
			t.Fatalf("event %d: %d accepted", i, got)
		}
	}
	return ids
}

// waitStoredAndDelivered waits until every id is in ClickHouse exactly once
// (FINAL and uniqExact over all rows) and was delivered to the endpoint.
func waitStoredAndDelivered(t *testing.T, srv *chtest.Server, db string, hooks *webhookLog, ids []string, b *bridgeProc) {
	t.Helper()
	waitDelivered(t, hooks, ids)
	n, u := waitCount(t, srv, db, len(ids), 30*time.Second)
	if n != len(ids) || u != len(ids) {
		out, _ := srv.Query(context.Background(), "SELECT event_id FROM "+db+".events")
		stored := map[string]bool{}
		for _, id := range strings.Fields(out) {
			stored[id] = true
		}
		var missing []int
		for i, id := range ids {
			if !stored[id] {
				missing = append(missing, i)
			}
		}
		t.Fatalf("ClickHouse has %d rows (FINAL) and %d unique ids; want %d; missing the events sent %v-th\n%s", n, u, len(ids), missing, b.logs())
	}
}

// waitDelivered waits until every id was delivered to the endpoint.
func waitDelivered(t *testing.T, hooks *webhookLog, ids []string) {
	t.Helper()
	testkit.Eventually(t, 30*time.Second, func() error {
		hooks.mu.Lock()
		defer hooks.mu.Unlock()
		for _, id := range ids {
			if hooks.count[id] == 0 {
				return fmt.Errorf("event %s not delivered", id)
			}
		}
		return nil
	})
}

func (p *bridgeProc) dataDir() string { return filepath.Join(filepath.Dir(p.cfg), "data") }

// running reports whether the process has not exited.
func (p *bridgeProc) running() bool {
	resp, err := http.Get("http://" + p.addr + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// maxCount is the most deliveries any one event got.
func (w *webhookLog) maxCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	most := 0
	for _, n := range w.count {
		most = max(most, n)
	}
	return most
}
