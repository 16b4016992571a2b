package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/popinbridge/bridge/controlplane"
	"github.com/popinbridge/bridge/forwarder"
	"github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/piicrypt"
)

// management holds the forwarder and the management plane. The manager
// needs the started log's JetStream, so it is built in start; its handler is
// bound late.
type management struct {
	a       *App
	fwd     *forwarder.Forwarder
	eng     *engine
	mgr     atomic.Pointer[controlplane.Manager]
	handler atomic.Pointer[http.Handler]
}

func newManagement(a *App) (*management, error) {
	m := &management{a: a}
	fcfg := a.cfg.Forwarder.Config
	fcfg.Endpoints = nil // the management store is the source of truth; it applies them at start
	m.eng = &engine{log: a.log.With("part", "forwarder")}
	fwd, err := forwarder.New(fcfg, forwarder.Settings{
		Logger:     a.log.With("part", "forwarder"),
		Registerer: a.reg,
		Log:        a.elog,
		Sites:      a.sites,
		DB:         forwarder.DeliveryWriterFunc(m.writeDeliveries),
		Observer:   m.eng,
	})
	if err != nil {
		return nil, fmt.Errorf("forwarder: %w", err)
	}
	m.fwd, m.eng.fwd = fwd, fwd
	return m, nil
}

// writeDeliveries records attempts once ClickHouse is connected; before that
// the forwarder keeps the rows (bounded) and retries.
func (m *management) writeDeliveries(ctx context.Context, rows []forwarder.DeliveryRecord) error {
	db := m.a.store.DB()
	if db == nil {
		return errNotConnected
	}
	return forwarder.NewClickHouseWriter(db.Conn(), db.Table("deliveries")).WriteDeliveries(ctx, rows)
}

func (m *management) start(ctx context.Context) error {
	key, fromFile, err := m.a.cfg.MasterKeyOrGenerate()
	if err != nil {
		return fmt.Errorf("master_key: %w", err)
	}
	if fromFile {
		m.a.log.Warn("master_key is not set: using the key generated in data_dir/master.key; every node of a cluster must share one key (set master_key)")
	}
	box, err := piicrypt.New(key)
	if err != nil {
		return err
	}
	m.a.piiBox = box
	if err := m.fwd.Start(ctx); err != nil {
		return fmt.Errorf("forwarder: %w", err)
	}
	mgr, err := controlplane.New(m.a.cfg.Forwarder.Management, controlplane.Settings{
		Logger:                m.a.log.With("part", "management"),
		Registerer:            m.a.reg,
		AdminToken:            m.a.cfg.AdminToken,
		MasterKey:             key,
		JetStream:             m.a.elog.JetStream(),
		Sites:                 m.a.sites,
		Engine:                m.eng,
		History:               history{s: m.a.store, box: box},
		AllowedPrivateTargets: m.a.cfg.Forwarder.AllowedPrivateTargets,
	})
	if err != nil {
		return fmt.Errorf("management: %w", err)
	}
	if err := mgr.Seed(ctx, m.a.sites.All(), m.a.cfg.DeclaredEndpoints()); err != nil {
		return fmt.Errorf("management: seeding sites and endpoints from the config file: %w", err)
	}
	m.mgr.Store(mgr)
	var obs delivery.Observer = mgr
	m.eng.observer.Store(&obs)
	h := mgr.Handler()
	m.handler.Store(&h)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("management: %w", err)
	}
	return nil
}

// ServeHTTP serves /api/v1/ once the manager is up, 503 before.
func (m *management) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := m.handler.Load()
	if h == nil {
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"error":{"code":"unavailable","message":"starting"}}`, http.StatusServiceUnavailable)
		return
	}
	(*h).ServeHTTP(w, r)
}

func (m *management) shutdown(ctx context.Context) error {
	var errs []error
	if mgr := m.mgr.Load(); mgr != nil {
		errs = append(errs, mgr.Shutdown(ctx))
	}
	errs = append(errs, m.fwd.Shutdown(ctx))
	return errors.Join(errs...)
}
