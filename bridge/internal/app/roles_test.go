package app

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/bridge/internal/config"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// hookRecorder is a webhook receiver answering status and counting what
// it got by webhook-id.
type hookRecorder struct {
	srv    *httptest.Server
	mu     sync.Mutex
	byID   map[string]int
	types  map[string]int // the "type" of JSON bodies (ops webhooks)
	status int
}

func newHookRecorder(t *testing.T, status int) *hookRecorder {
	h := &hookRecorder{byID: map[string]int{}, types: map[string]int{}, status: status}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(b, &body)
		h.mu.Lock()
		h.byID[r.Header.Get("webhook-id")]++
		h.types[body.Type]++
		h.mu.Unlock()
		w.WriteHeader(h.status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookRecorder) counts() (map[string]int, map[string]int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids, types := map[string]int{}, map[string]int{}
	for k, v := range h.byID {
		ids[k] = v
	}
	for k, v := range h.types {
		types[k] = v
	}
	return ids, types
}

// postEvent sends one event to a node's ingest endpoint and returns the
// status.
func postEvent(t *testing.T, base, id string) int {
	t.Helper()
	status, _ := ingestEvent(t, base, id)
	return status
}

func eventID(i int) string { return fmt.Sprintf("0b6f0000-0000-4000-8000-%012d", i) }

// allowLoopback lets the forwarder and the ops webhook reach the test's
// receivers.
func allowLoopback(cfg *config.Config) {
	cfg.Forwarder.AllowedPrivateTargets = []string{"127.0.0.0/8"}
}

// An ingest node takes events and delivers nothing; a deliver node serves
// no ingest endpoint and delivers what the ingest node appended, each event
// once; requests needing a forwarder are refused on the ingest node.
func TestClusterRoles(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	rcv := newHookRecorder(t, 200)
	ingestNode := startClusterNode(t, c, config.RoleIngest, allowLoopback)
	deliverNode := startClusterNode(t, c, config.RoleDeliver, allowLoopback)
	in, out := "http://"+ingestNode.Addr(), "http://"+deliverNode.Addr()

	apiCall(t, in, "POST", "/api/v1/endpoints", map[string]any{"id": "crm", "site": "demo", "url": rcv.srv.URL + "/hook", "auth": "none"}, 201)
	if e := apiCall(t, in, "POST", "/api/v1/endpoints/crm/test", nil, 409); !strings.Contains(fmt.Sprint(e["error"]), "role ingest") {
		t.Errorf("test send on the ingest node: %v, want a refusal naming the role", e)
	}
	if got := postEvent(t, out, eventID(999)); got != http.StatusNotFound {
		t.Errorf("ingest on the deliver node answered %d, want 404", got)
	}
	for _, base := range []string{in, out} {
		if resp, err := http.Get(base + "/readyz"); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s/readyz: %v %v", base, resp, err)
		}
	}
	const n = 5
	// The endpoint reaches the deliver node's forwarder through the shared
	// store: until then events fan out to no endpoint.
	testkit.Eventually(t, 20*time.Second, func() error {
		if p := apiCallAny(t, out, "POST", "/api/v1/endpoints/crm/test", nil); p.status != 200 {
			return fmt.Errorf("test send on the deliver node: %d %v", p.status, p.body)
		}
		return nil
	})
	for i := range n {
		if got := postEvent(t, in, eventID(i+1)); got != http.StatusOK && got != http.StatusAccepted {
			t.Fatalf("ingest answered %d", got)
		}
	}
	testkit.Eventually(t, 30*time.Second, func() error {
		if ids, _ := rcv.counts(); len(ids) < n+1 { // + the test send
			return fmt.Errorf("receiver got %d distinct webhook-ids, want %d", len(ids), n+1)
		}
		return nil
	})
	if ids, _ := rcv.counts(); len(ids) != n+1 {
		t.Errorf("receiver got %d distinct webhook-ids, want %d: %v", len(ids), n+1, ids)
	}
	if v := metricSum(t, in, "bridge_forwarder_attempts_total"); v != 0 {
		t.Errorf("the ingest node made %v delivery attempts, want 0", v)
	}
}

// Lifecycle decisions are made once per cluster: two nodes both deliver
// to a failing endpoint; it is disabled once, and endpoint.failing and
// endpoint.disabled are each sent once (each transition is a
// compare-and-set on the shared bucket; only the writer notifies).
func TestClusterLifecycleOnce(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	dead := newHookRecorder(t, 500)
	ops := newHookRecorder(t, 200)
	edit := func(cfg *config.Config) {
		allowLoopback(cfg)
		cfg.Forwarder.RetrySchedule = []string{"100ms", "100ms", "100ms"}
		cfg.ControlPlane.FailingAfter = time.Millisecond
		cfg.ControlPlane.DisableAfter = 1500 * time.Millisecond
		cfg.ControlPlane.OpsWebhook.URL = ops.srv.URL + "/ops"
		cfg.ControlPlane.OpsWebhook.Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	}
	nodes := []*App{startClusterNode(t, c, config.RoleAll, edit), startClusterNode(t, c, config.RoleAll, edit)}
	bases := []string{"http://" + nodes[0].Addr(), "http://" + nodes[1].Addr()}
	checkRetentionTurn(t, bases)
	apiCall(t, bases[0], "POST", "/api/v1/endpoints", map[string]any{"id": "crm", "site": "demo", "url": dead.srv.URL + "/hook", "auth": "none"}, 201)

	disabled := false
	for i := 0; i < 300 && !disabled; i++ {
		postEvent(t, bases[i%2], eventID(i+1))
		time.Sleep(50 * time.Millisecond)
		ep := apiCall(t, bases[(i+1)%2], "GET", "/api/v1/endpoints/crm", nil, 200)
		disabled = ep["status"] == "disabled"
	}
	if !disabled {
		t.Fatal("the failing endpoint was not disabled")
	}
	for i, base := range bases {
		if v := metricSum(t, base, "bridge_forwarder_attempts_total"); v == 0 {
			t.Errorf("node %d made no delivery attempt; both must, for the test to mean anything", i)
		}
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if _, types := ops.counts(); types["endpoint.disabled"] == 0 {
			return fmt.Errorf("no endpoint.disabled yet: %v", types)
		}
		return nil
	})
	// A second notice would come from an attempt decided after the first:
	// wait until each node's lifecycle has applied every attempt its
	// forwarder reported and its ops queue has sent everything queued.
	testkit.Eventually(t, 20*time.Second, func() error {
		for i, base := range bases {
			attempts := metricSum(t, base, "bridge_forwarder_attempts_total")
			seen := metricSum(t, base, "bridge_mgmt_lifecycle_decided_total") + metricSum(t, base, "bridge_mgmt_lifecycle_dropped_total")
			if seen < attempts {
				return fmt.Errorf("node %d: lifecycle applied %v of %v attempts", i, seen, attempts)
			}
			queued := metricSum(t, base, "bridge_mgmt_ops_notifications_queued_total")
			done := metricSum(t, base, `bridge_mgmt_ops_notifications_total{result="sent"}`) + metricSum(t, base, `bridge_mgmt_ops_notifications_total{result="failed"}`)
			if done < queued {
				return fmt.Errorf("node %d: %v of %v ops notifications done", i, done, queued)
			}
		}
		return nil
	})
	if _, types := ops.counts(); types["endpoint.failing"] != 1 || types["endpoint.disabled"] != 1 {
		t.Errorf("ops notifications %v, want endpoint.failing and endpoint.disabled once each", types)
	}
}

// metricSum adds every sample of the named metric on a node's /metrics;
// name may end in {label="value",…} to add only the samples with those
// labels.
func metricSum(t *testing.T, base, name string) float64 {
	t.Helper()
	name, sel, _ := strings.Cut(name, "{")
	want := strings.Split(strings.TrimSuffix(sel, "}"), ",")
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		f := strings.Fields(line)
		labels := strings.TrimPrefix(f[0], name)
		if !hasLabels(labels, want) {
			continue
		}
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

// hasLabels reports whether a sample's label set ({a="x",b="y"}) has every
// pair in want (empty strings match anything).
func hasLabels(labels string, want []string) bool {
	have := strings.Split(strings.Trim(labels, "{}"), ",")
	for _, w := range want {
		if w != "" && !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// checkRetentionTurn: of two deliver nodes that have both decided their
// first retention pass, exactly one ran it (ok, or skipped while ClickHouse
// is not connected) and the other counted it as elsewhere.
func checkRetentionTurn(t *testing.T, bases []string) {
	t.Helper()
	const passes = "bridge_retention_passes_total"
	testkit.Eventually(t, 20*time.Second, func() error {
		for _, base := range bases {
			if metricSum(t, base, passes) == 0 {
				return fmt.Errorf("%s has not decided its first retention pass", base)
			}
		}
		return nil
	})
	ran := 0
	for _, base := range bases {
		if metricSum(t, base, passes+`{result="elsewhere"}`) == 0 {
			ran++
		}
	}
	if ran != 1 {
		t.Errorf("%d nodes ran the first retention pass, want exactly 1", ran)
	}
}
