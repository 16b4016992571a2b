package forwarder

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestBenchOrdered states the cost of ordering per_visitor: deliveries per
// second to one endpoint with ordering none and then per_visitor, in the
// same run, over a real event log (the ordered fan-out needs its serial
// reader), 500 visitors. Skipped unless BRIDGE_BENCH=1.
func TestBenchOrdered(t *testing.T) {
	if os.Getenv("BRIDGE_BENCH") != "1" {
		t.Skip("set BRIDGE_BENCH=1")
	}
	const n, visitors = 5000, 500
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = new(bytes.Buffer).ReadFrom(r.Body)
		hits.Add(1)
		w.WriteHeader(200)
	}))
	defer srv.Close()
	rate := func(ordering string) float64 {
		ep := webhookEP("bench", srv.URL+"/hook", signing.NewSecret())
		ep.Ordering = ordering
		e := startOrderedEnv(t, t.TempDir(), "15s", ep)
		defer e.stop(t)
		hits.Store(0)
		evs := make([]event.Event, n)
		for i := range evs {
			evs[i] = testEvent("popin_captured")
			evs[i].UID = fmt.Sprintf("v%d", i%visitors)
		}
		start := time.Now()
		for i := 0; i < n; i += 100 {
			if err := e.log.Append(context.Background(), evs[i:i+100]); err != nil {
				t.Fatal(err)
			}
		}
		testkit.Eventually(t, 300*time.Second, func() error {
			if h := hits.Load(); h < n {
				return fmt.Errorf("%s: %d of %d", ordering, h, n)
			}
			return nil
		})
		return float64(n) / time.Since(start).Seconds()
	}
	none := rate(endpoint.OrderingNone)
	ordered := rate(endpoint.OrderingPerVisitor)
	fmt.Printf("BENCH forwarder ordering: per_visitor %.0f deliveries/s vs none %.0f/s ratio %.2f (the cost of ordering; %d events, %d visitors)\n",
		ordered, none, ordered/none, n, visitors)
}
