package app

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Probes. /healthz answers 200 while the process serves HTTP. /readyz
// answers whether this node can accept events:
//
//   - 503 while shutting down (from the moment App.Shutdown begins) or while
//     the event log cannot take appends (NATS down, stream missing, log full;
//     on a node with role deliver, which takes no events: while NATS is
//     down); the body names each reason;
//   - 200 otherwise, even with ClickHouse or destinations down: events wait
//     in the durable log, so pulling the node out of a load balancer would
//     only refuse events it can keep. The body then says "degraded" and names
//     each degraded component.
//
// The same answer is exported on every scrape as bridge_ready (1 or 0) and
// bridge_ready_degraded{component} (1 while degraded; clickhouse and
// destinations always present).

// readyTimeout bounds one readiness check.
const readyTimeout = 2 * time.Second

// Degraded components, the values of bridge_ready_degraded's label.
const (
	componentClickHouse   = "clickhouse"
	componentDestinations = "destinations"
)

var degradedComponents = []string{componentClickHouse, componentDestinations}

// readiness is one answer of the readiness check.
type readiness struct {
	unready  []string          // why the node cannot accept events; empty when ready
	degraded map[string]string // component → why, for components that are down
}

// health holds the shutdown flag the readiness check reads.
type health struct {
	shutting atomic.Bool
}

// check evaluates readiness now.
func (a *App) check(ctx context.Context) readiness {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	r := readiness{degraded: map[string]string{}}
	if a.health.shutting.Load() {
		r.unready = append(r.unready, "shutting down")
	}
	// A deliver node accepts no events: it is ready while NATS answers,
	// and a full log (which it drains) does not make it unready.
	if !a.cfg.Ingests() {
		if err := a.nats.Ready(ctx); err != nil {
			r.unready = append(r.unready, "nats: "+err.Error())
		}
	} else if err := a.elog.Ready(ctx); err != nil {
		r.unready = append(r.unready, "event_log: "+err.Error())
	}
	if err := a.store.ready(ctx); err != nil {
		r.degraded[componentClickHouse] = err.Error() + " (events wait in the log)"
	}
	if failing := a.manage.eng.failing(); len(failing) > 0 {
		r.degraded[componentDestinations] = describeFailing(failing)
	}
	return r
}

// describeFailing names up to five failing endpoints.
func describeFailing(failing []string) string {
	const show = 5
	s := fmt.Sprintf("%d endpoint(s) failing: ", len(failing))
	if len(failing) > show {
		return s + strings.Join(failing[:show], ", ") + fmt.Sprintf(" and %d more", len(failing)-show)
	}
	return s + strings.Join(failing, ", ")
}

// serveReady answers /readyz (see Probes above).
func (a *App) serveReady(w http.ResponseWriter, r *http.Request) {
	res := a.check(r.Context())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if len(res.unready) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready")
		for _, p := range res.unready {
			fmt.Fprintln(w, p)
		}
	} else if len(res.degraded) > 0 {
		fmt.Fprintln(w, "ready, degraded")
	} else {
		fmt.Fprintln(w, "ready")
	}
	names := make([]string, 0, len(res.degraded))
	for c := range res.degraded {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		fmt.Fprintf(w, "degraded: %s: %s\n", c, res.degraded[c])
	}
}

// readyCollector exports the readiness check on every scrape.
type readyCollector struct {
	a                       *App
	readyDesc, degradedDesc *prometheus.Desc
}

func newReadyCollector(a *App) *readyCollector {
	return &readyCollector{
		a: a,
		readyDesc: prometheus.NewDesc("bridge_ready",
			"1 while this node accepts events (what /readyz answers 200 for), else 0.", nil, nil),
		degradedDesc: prometheus.NewDesc("bridge_ready_degraded",
			"1 while a component is down but the node still accepts events (ClickHouse: events wait in the log; destinations: active endpoints failing).",
			[]string{"component"}, nil),
	}
}

func (c *readyCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.readyDesc
	ch <- c.degradedDesc
}

func (c *readyCollector) Collect(ch chan<- prometheus.Metric) {
	res := c.a.check(context.Background())
	ch <- prometheus.MustNewConstMetric(c.readyDesc, prometheus.GaugeValue, boolValue(len(res.unready) == 0))
	for _, comp := range degradedComponents {
		_, down := res.degraded[comp]
		ch <- prometheus.MustNewConstMetric(c.degradedDesc, prometheus.GaugeValue, boolValue(down), comp)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
