package controlplane

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/ssrf"

	"github.com/popinbridge/bridge/internal/testkit"
)

// logCapture is a JSON slog destination read back as lines.
type logCapture struct{ testkit.LockedBuffer }

// lines returns the records whose msg contains sub.
func (c *logCapture) lines(t *testing.T, sub string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(c.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		if msg, _ := m["msg"].(string); strings.Contains(msg, sub) {
			out = append(out, m)
		}
	}
	return out
}

func (c *logCapture) size() int {
	return len(c.String())
}

// 10 000 dead deliveries to three endpoints within two minutes give each
// endpoint at most one message.attempt.exhausted per window (the first at
// once), whose counts add up to the deliveries, and as many log lines.
func TestExhaustedAggregatedPerEndpointPerWindow(t *testing.T) {
	const total, window = 10000, time.Minute
	rcv := newReceiver(t, 204)
	secret := signing.NewSecret()
	logs := &logCapture{}
	f := newFixture(t, func(c *Config, s *Settings) {
		c.OpsWebhook.URL, c.OpsWebhook.Secret, c.OpsWebhook.ExhaustedWindow = rcv.URL+"/ops", secret, window
		s.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	})
	f.mustSite("acme")
	eps := []string{"crm", "erp", "bi"}
	for _, id := range eps {
		f.mustEndpoint(map[string]any{"id": id, "site": "acme", "url": "https://" + id + ".example.com/h"})
	}
	ctx := context.Background()
	dead := func(i int) {
		f.mgr.decide(ctx, Attempt{EndpointID: eps[i%len(eps)], EventID: fmt.Sprint("ev", i), DeliveryID: fmt.Sprint("d", i),
			Attempt: 8, StatusCode: 503, Error: "status 503", State: StateDead})
	}
	// Positive control: the first dead delivery of an endpoint goes out at once.
	dead(0)
	waitFor(t, "first message.attempt.exhausted", func() bool { return rcv.count() == 1 })
	for i := 1; i < total; i++ {
		dead(i)
		if i%100 == 0 {
			f.advance(1200 * time.Millisecond) // 10 000 deliveries over two minutes
		}
	}
	f.advance(window) // the last windows end
	sum := func() (n int) {
		for _, ev := range opsEvents(t, rcv, secret) {
			var d ExhaustedData
			b, _ := json.Marshal(ev.Data)
			if err := json.Unmarshal(b, &d); err != nil {
				t.Fatal(err)
			}
			n += d.Count
		}
		return n
	}
	waitFor(t, "every dead delivery counted", func() bool { return sum() == total })

	per := map[string][]OpsEvent{}
	counts := map[string]int{}
	for _, ev := range opsEvents(t, rcv, secret) {
		if ev.Type != OpsAttemptsExhausted {
			t.Fatalf("unexpected %s", ev.Type)
		}
		var d ExhaustedData
		b, _ := json.Marshal(ev.Data)
		_ = json.Unmarshal(b, &d)
		if d.Count < 1 || len(d.Sample) < 1 || len(d.Sample) > exhaustedSampleSize || len(d.Sample) > d.Count {
			t.Fatalf("event of %s: count %d with %d samples", d.EndpointID, d.Count, len(d.Sample))
		}
		if d.StatusCode != 503 || d.DeliveryID == "" || d.Sample[0].DeliveryID == "" {
			t.Fatalf("event of %s lacks the delivery fields: %+v", d.EndpointID, d)
		}
		per[d.EndpointID] = append(per[d.EndpointID], ev)
		counts[d.EndpointID] += d.Count
	}
	for i, id := range eps {
		want := total / len(eps)
		if i < total%len(eps) {
			want++
		}
		if counts[id] != want {
			t.Errorf("%s: counts add to %d, want %d", id, counts[id], want)
		}
		evs := per[id]
		// Three minutes of fake time: the first at once, then one per window.
		if len(evs) < 2 || len(evs) > 4 {
			t.Errorf("%s: %d events for two minutes of dead deliveries, want 2 to 4", id, len(evs))
		}
		for k := 1; k < len(evs); k++ {
			if gap := evs[k].Timestamp.Sub(evs[k-1].Timestamp); gap < window {
				t.Errorf("%s: events %d and %d are %s apart, less than the window", id, k-1, k, gap)
			}
		}
	}
	t.Logf("%d dead deliveries: %d ops webhooks, %d bytes of log", total, rcv.count(), logs.size())
	if n, sent := len(logs.lines(t, "operational event")), rcv.count(); n != sent {
		t.Errorf("%d operational event log lines for %d events", n, sent)
	}
	if size := logs.size(); size > 64<<10 {
		t.Errorf("%d bytes of log for %d dead deliveries", size, total)
	}
	if got := counterValue(f.mgr.metrics.exhausted); got != total {
		t.Errorf("bridge_mgmt_deliveries_exhausted_total = %v, want %d", got, total)
	}
}

// The ops webhook is refused on a private address unless it is listed in
// allowed_private_targets: at New for an IP literal, at dial time for
// whatever the host resolves to.
func TestOpsWebhookSSRFGuard(t *testing.T) {
	rcv := newReceiver(t, 204)
	secret := signing.NewSecret()
	ns := newFixture(t).nats
	for _, tc := range []struct {
		name    string
		allowed []string
		wantErr bool
	}{
		{"loopback allowed", []string{"127.0.0.0/8"}, false},
		{"loopback not allowed", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := NewDefaultConfig()
			cfg.OpsWebhook.URL, cfg.OpsWebhook.Secret = rcv.URL+"/ops", secret
			_, err := New(cfg, Settings{MasterKey: testKey, NATS: natsrv.Fixed(ns.Connect(t)), AllowedPrivateTargets: tc.allowed})
			if tc.wantErr != (err != nil) || (err != nil && (!errors.Is(err, ssrf.ErrBlocked) || !strings.Contains(err.Error(), "ops_webhook.url"))) {
				t.Fatalf("New: %v (want refused: %v)", err, tc.wantErr)
			}

			// The dialer: the default client of the notifier.
			guard, _ := ssrf.New(tc.allowed)
			m, _ := newMetrics(nil)
			log := slog.New(slog.NewTextHandler(&logCapture{}, nil))
			n := newNotifier(cfg.OpsWebhook, nil, guard, log, nil, m, time.Now)
			err = n.send("ops_1", []byte(`{}`))
			if tc.wantErr != (err != nil) || (err != nil && !errors.Is(err, ssrf.ErrBlocked)) {
				t.Fatalf("send: %v (want refused: %v)", err, tc.wantErr)
			}
		})
	}
	if rcv.count() != 1 {
		t.Fatalf("receiver got %d posts, want 1 (the allowed one)", rcv.count())
	}
}
