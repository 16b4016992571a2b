package chretention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/bgwork"
	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/promreg"
	"github.com/popinbridge/bridge/internal/site"
)

// Settings are the code-supplied parts of a Runner.
type Settings struct {
	DB         func() *chdb.DB       // required; nil result: not connected, the pass is skipped
	Sites      Sites                 // required
	Logger     *slog.Logger          // nil: slog.Default()
	Registerer prometheus.Registerer // nil: metrics are not registered
	Now        func() time.Time      // nil: time.Now
	// Turn, when set, is asked before each pass whether this node has the
	// cluster's turn (a lease.Lease's Acquire); the pass runs only when it
	// answers true. nil: every pass runs (a single node).
	Turn func(context.Context) (bool, error)
}

// Sites lists every site (*site.Static).
type Sites interface{ All() []site.Site }

// Runner applies the retention periodically.
type Runner struct {
	cfg    Config
	set    Settings
	log    *slog.Logger
	passes *prometheus.CounterVec

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// New checks cfg and returns a Runner.
func New(cfg Config, set Settings) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if set.DB == nil || set.Sites == nil {
		return nil, errors.New("chretention: settings DB and Sites are required")
	}
	if set.Logger == nil {
		set.Logger = slog.Default()
	}
	if set.Now == nil {
		set.Now = time.Now
	}
	r := &Runner{cfg: cfg, set: set, log: set.Logger.With("component", "retention"),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bridge_retention_passes_total",
			Help: "Retention passes over ClickHouse, by result: ok, error, skipped (not connected), elsewhere (another node had the turn)."}, []string{"result"})}
	for _, l := range []string{"ok", "error", "skipped", "elsewhere"} {
		r.passes.WithLabelValues(l)
	}
	if err := promreg.Register(set.Registerer, r.passes); err != nil {
		return nil, fmt.Errorf("chretention: %w", err)
	}
	return r, nil
}

// Start runs a pass now and then every Interval, in the background.
func (r *Runner) Start(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go r.loop(ctx, r.done)
	return nil
}

// Shutdown stops the loop, a pass under way included (its mutations go
// on in ClickHouse). Safe without Start and twice.
func (r *Runner) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.cancel, r.done = nil, nil
	r.mu.Unlock()
	return bgwork.Stop(ctx, "retention shutdown", cancel, done)
}

func (r *Runner) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	for {
		wait := r.cfg.Interval
		if !r.myTurn(ctx) {
			r.passes.WithLabelValues("elsewhere").Inc()
			if !sleep(ctx, wait) {
				return
			}
			continue
		}
		db := r.set.DB()
		switch err := r.Pass(ctx, db); {
		case db == nil: // not connected yet: try again soon rather than in an interval
			r.passes.WithLabelValues("skipped").Inc()
			wait = min(wait, notConnectedRetry)
		case err != nil && ctx.Err() == nil:
			r.passes.WithLabelValues("error").Inc()
			r.log.Warn("retention pass failed; retried at the next interval", "err", err)
		case err == nil:
			r.passes.WithLabelValues("ok").Inc()
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}

// myTurn reports whether this node runs the pass (Settings.Turn); when the
// turn cannot be known it does not.
func (r *Runner) myTurn(ctx context.Context) bool {
	if r.set.Turn == nil {
		return true
	}
	ok, err := r.set.Turn(ctx)
	if err != nil && ctx.Err() == nil {
		r.log.Warn("cannot tell whether this node has the retention turn; the pass waits for the next interval", "err", err)
	}
	return ok && err == nil
}

// sleep waits d; false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// notConnectedRetry is how soon a pass is tried again while ClickHouse is
// not connected.
const notConnectedRetry = 30 * time.Second

// table is where a class lives and what dates its rows.
type table struct {
	name, dateExpr string
}

var tables = [...]table{
	events:         {"events", "event_date"},
	deliveries:     {"deliveries", "toDate(attempted_at)"},
	deliveryBodies: {"deliveries", "toDate(attempted_at)"},
}

// Pass applies the retention once (nil db: nothing to do). It returns once
// the mutations are issued, not when ClickHouse has finished them.
func (r *Runner) Pass(ctx context.Context, db *chdb.DB) error {
	if db == nil {
		return nil
	}
	sites := r.set.Sites.All()
	now := r.set.Now()
	var errs []error
	for _, c := range []class{events, deliveries, deliveryBodies} {
		gs := plan(r.cfg, sites, c)
		if c != deliveryBodies {
			if d := longest(gs); d > 0 {
				errs = append(errs, r.dropPartitions(ctx, db, tables[c].name, cutoff(now, d)))
			}
		}
		others := overridden(gs)
		for _, g := range gs {
			if g.days == 0 || (!g.rest && len(g.sites) == 0) {
				continue
			}
			errs = append(errs, r.remove(ctx, db, c, g, others, cutoff(now, g.days)))
		}
	}
	return errors.Join(errs...)
}

// dropPartitions drops the monthly partitions of table wholly before day.
// On a cluster it lists the partitions of every replica of every shard
// (chdb.DB.EveryHost) and drops each on every shard (chdb.DB.Alter).
func (r *Runner) dropPartitions(ctx context.Context, db *chdb.DB, table string, day time.Time) error {
	var old []string
	seen := map[int]bool{} // a partition is listed by each host holding it
	query := func(parts string) string {
		return "SELECT DISTINCT partition FROM " + parts + " WHERE database = ? AND table = ? AND active"
	}
	err := db.EveryHost(ctx, "parts", query, func(rows driver.Rows) error {
		var p string
		if err := rows.Scan(&p); err != nil {
			return err
		}
		ym, err := strconv.Atoi(strings.Trim(p, "'"))
		if err != nil || ym < 100001 || seen[ym] {
			return nil
		}
		seen[ym] = true
		nextMonth := time.Date(ym/100, time.Month(ym%100)+1, 1, 0, 0, 0, 0, time.UTC)
		if !nextMonth.After(day) {
			old = append(old, strconv.Itoa(ym))
		}
		return nil
	}, db.Database(), db.StorageTable(table))
	if err != nil {
		return fmt.Errorf("retention: list partitions of %s: %w", table, err)
	}
	for _, p := range old {
		if err := db.Alter(ctx, table, "DROP PARTITION "+p); err != nil {
			return fmt.Errorf("retention: drop partition %s of %s: %w", p, table, err)
		}
		r.log.Info("retention: partition dropped", "table", table, "partition", p)
	}
	return nil
}

// remove deletes (or, for bodies, empties) group g's rows dated before day,
// if there are any.
func (r *Runner) remove(ctx context.Context, db *chdb.DB, c class, g group, others []string, day time.Time) error {
	t := tables[c]
	where := fmt.Sprintf("%s < toDate('%s')", t.dateExpr, day.Format("2006-01-02"))
	switch {
	case !g.rest:
		where += " AND site_id IN (" + quoteList(g.sites) + ")"
	case len(others) > 0:
		where += " AND site_id NOT IN (" + quoteList(others) + ")"
	}
	if c == deliveryBodies {
		where += " AND (request_body != '' OR response_body != '')"
	}
	var n uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM "+db.Table(t.name)+" WHERE "+where).Scan(&n); err != nil {
		return fmt.Errorf("retention: count %s: %w", t.name, err)
	}
	if n == 0 {
		return nil
	}
	action := "DELETE WHERE " + where
	if c == deliveryBodies {
		action = "UPDATE request_body = '', response_body = '' WHERE " + where
	}
	if err := db.Alter(ctx, t.name, action); err != nil {
		return fmt.Errorf("retention: %s: %w", t.name, err)
	}
	r.log.Info("retention: rows removed", "table", t.name, "rows", n, "before", day.Format("2006-01-02"), "bodies_only", c == deliveryBodies)
	return nil
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
	}
	return strings.Join(q, ", ")
}
