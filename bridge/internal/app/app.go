// Package app wires the bridge's parts into one process: it builds them from
// the configuration, starts them in data-flow order (NATS, log, consumers,
// ingest, HTTP) and shuts them down in reverse so that intake stops first,
// in-flight work drains and NATS goes last.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/popinbridge/bridge/bridge/internal/buildinfo"
	"github.com/popinbridge/bridge/bridge/internal/config"
	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/collector/ingest"
	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chretention"
	"github.com/popinbridge/bridge/internal/consentstore"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/piicrypt"
	"github.com/popinbridge/bridge/internal/promreg"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/suppress"
)

// Options are code-supplied additions, e.g. the demo's pages.
type Options struct {
	// Mounts adds handlers to the listener's mux (pattern → handler).
	Mounts map[string]http.Handler
	// ShutdownDelay is how long Shutdown keeps serving everything after
	// /readyz turned 503, before it stops intake, so that load balancers
	// (a Kubernetes Service) stop sending here first. Bounded by
	// Shutdown's ctx; 0 stops at once.
	ShutdownDelay time.Duration
}

// App is the running bridge.
type App struct {
	cfg  *config.Config
	log  *slog.Logger
	reg  *prometheus.Registry
	opts Options

	sites *site.Static
	// nats is the process's NATS connection (embedded server or external),
	// shared by every part that keeps state in JetStream. Started first,
	// shut down last; its JetStream() is valid in between.
	nats *natsrv.Server
	elog *eventlog.Log
	// consent remembers visitors' consent for webhooks (JetStream KV).
	consent *consentstore.Store
	// suppress is the list of erased people (JetStream KV, mirrored).
	suppress *suppress.List
	ingest   *ingest.Ingest
	// retention removes old ClickHouse data periodically.
	retention *chretention.Runner
	turns     *turns // cluster-wide turns (retention)
	http      *httpServer
	admin     *httpServer   // the admin_listen listener; nil without it
	store     *storage      // ClickHouse and its consumers, connected in the background
	manage    *management   // forwarder and management API
	piiBox    *piicrypt.Box // seals personal values of `pii: encrypt` sites
	health    health

	bgCancel context.CancelFunc
	bgDone   sync.WaitGroup

	shutdownOnce sync.Once
	shutdownErr  error
}

// New builds every part; nothing is started and no port is bound.
func New(cfg *config.Config, logger *slog.Logger, opts Options) (*App, error) {
	a := &App{cfg: cfg, log: logger, reg: prometheus.NewRegistry(), opts: opts}
	if err := promreg.Register(a.reg, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfoGauge(buildinfo.Get()), newReadyCollector(a)); err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings() {
		logger.Warn("config: " + w)
	}

	sites := cfg.Sites
	if len(sites) == 0 {
		sites = config.DevSites(cfg.Listen)
		logger.Warn("no sites configured; using the development site", "id", sites[0].ID, "write_key", sites[0].WriteKey, "origins", sites[0].Origins)
	}
	a.sites = site.NewStatic(sites)

	natsCfg := cfg.EventLog.NATS
	if natsCfg.Dir == "" && natsCfg.URL == "" {
		natsCfg.Dir = filepath.Join(cfg.DataDir, "log")
	}
	var err error
	if a.nats, err = natsrv.New(natsCfg, natsrv.Settings{Logger: logger.With("part", "nats"), Registerer: a.reg}); err != nil {
		return nil, fmt.Errorf("event_log: %w", err)
	}
	if a.elog, err = eventlog.New(cfg.EventLog.Config, eventlog.Settings{
		NATS: a.nats, Logger: logger.With("part", "event_log"), Registerer: a.reg,
	}); err != nil {
		return nil, fmt.Errorf("event_log: %w", err)
	}
	if a.consent, err = consentstore.New(cfg.ConsentStore, consentstore.Settings{
		NATS: a.nats, Logger: logger.With("part", "consent_store"), Registerer: a.reg,
	}); err != nil {
		return nil, fmt.Errorf("consent_store: %w", err)
	}
	if a.suppress, err = suppress.New(suppress.Settings{
		NATS: a.nats, Bucket: cfg.ControlPlane.Bucket + "_SUPPRESS", Logger: logger.With("part", "suppression_list"), Registerer: a.reg,
	}); err != nil {
		return nil, fmt.Errorf("suppression list: %w", err)
	}
	if a.ingest, err = ingest.New(cfg.Ingest, ingest.Settings{
		Logger: logger.With("part", "ingest"), Registerer: a.reg, Sites: a.sites, Log: a.elog, Consent: a.consent,
	}); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	// The master key seals credentials and `pii: encrypt` values; without
	// one configured it is read from (or generated into) data_dir.
	key, fromFile, err := cfg.MasterKeyOrGenerate()
	if err != nil {
		return nil, fmt.Errorf("master_key: %w", err)
	}
	if fromFile {
		logger.Warn("master_key is not set: using the key generated in data_dir/master.key; every node of a cluster must share one key (set master_key)")
	}
	if a.piiBox, err = piicrypt.New(key); err != nil {
		return nil, fmt.Errorf("master_key: %w", err)
	}
	a.store = newStorage(a)
	a.turns = newTurns()
	if a.retention, err = chretention.New(cfg.Retention, chretention.Settings{
		DB: a.store.DB, Sites: a.sites, Logger: logger.With("part", "retention"), Registerer: a.reg,
		Turn: a.turns.retentionTurn,
	}); err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	if a.manage, err = newManagement(a, key, a.piiBox); err != nil {
		return nil, err
	}
	a.buildListeners()
	return a, nil
}

// Addr is the HTTP listener's address once started.
func (a *App) Addr() string { return a.http.Addr() }

// Start starts the parts in data-flow order. ClickHouse is connected in the
// background: ingest acks as soon as events are in the log, whether or not
// ClickHouse is reachable yet.
func (a *App) Start(ctx context.Context) error {
	if err := a.nats.Start(ctx); err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	// A deliver node's readers are registered before the log starts, so it
	// binds them before its purge loop runs: a cursor the server has not
	// loaded (its stream created again over its files, natsrv's quarantine)
	// holds back the purge only once it is bound. An ingest node reads
	// nothing from the log: the sink and the forwarder run on deliver nodes
	// (config/role.go).
	if a.cfg.Delivers() {
		var err error
		if a.store.reader, err = a.elog.Reader("clickhouse"); err != nil {
			return fmt.Errorf("event_log: reader: %w", err)
		}
		if _, err := a.elog.Reader(a.cfg.Forwarder.ReaderName); err != nil {
			return fmt.Errorf("event_log: reader: %w", err)
		}
	}
	if err := a.elog.Start(ctx); err != nil {
		return fmt.Errorf("event_log: %w", err)
	}
	if err := a.consent.Start(ctx); err != nil {
		return fmt.Errorf("consent_store: %w", err)
	}
	if err := a.suppress.Start(ctx); err != nil {
		return fmt.Errorf("suppression list: %w", err)
	}
	if err := a.turns.start(ctx, a); err != nil {
		return err
	}
	if err := a.manage.start(ctx); err != nil {
		return err
	}
	bg, cancel := context.WithCancel(context.Background())
	a.bgCancel = cancel
	a.bgDone.Add(1)
	go func() { defer a.bgDone.Done(); a.store.run(bg) }()
	if a.cfg.Delivers() {
		if err := a.retention.Start(ctx); err != nil {
			return fmt.Errorf("retention: %w", err)
		}
	}
	if a.cfg.Ingests() {
		if err := a.ingest.Start(ctx); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
	}
	if err := a.http.Start(ctx); err != nil {
		return err
	}
	if err := a.startAdmin(ctx); err != nil {
		return err
	}
	a.log.Info("bridge listening", "addr", a.Addr(), "role", a.cfg.Role)
	return nil
}

// Shutdown first turns /readyz to 503 and keeps serving for
// Options.ShutdownDelay (or until ctx ends), then stops intake (HTTP,
// ingest), then the consumers, then the log, then NATS, each within ctx.
// Safe without Start and twice.
func (a *App) Shutdown(ctx context.Context) error {
	a.shutdownOnce.Do(func() {
		a.health.shutting.Store(true)
		if d := a.opts.ShutdownDelay; d > 0 && a.http.ln != nil {
			a.log.Info("shutting down: /readyz answers 503; still serving", "for", d)
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
		var errs []error
		errs = append(errs, a.http.Shutdown(ctx), a.shutdownAdmin(ctx), a.ingest.Shutdown(ctx))
		if a.bgCancel != nil {
			a.bgCancel()
			a.bgDone.Wait()
		}
		errs = append(errs, a.retention.Shutdown(ctx), a.turns.release(ctx), a.consent.Shutdown(ctx), a.manage.shutdown(ctx), a.store.shutdown(ctx), a.suppress.Shutdown(ctx))
		errs = append(errs, a.elog.Shutdown(ctx), a.nats.Shutdown(ctx))
		a.shutdownErr = errors.Join(errs...)
	})
	return a.shutdownErr
}

// DB is the ClickHouse connection, or nil while it is not established.
func (a *App) DB() *chdb.DB { return a.store.DB() }
