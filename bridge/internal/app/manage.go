package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/popinbridge/bridge/controlplane"
	"github.com/popinbridge/bridge/controlplane/erasure"
	"github.com/popinbridge/bridge/forwarder"
	"github.com/popinbridge/bridge/forwarder/deliverylog"
	"github.com/popinbridge/bridge/internal/piicrypt"
)

// management holds the forwarder and the control plane, both built in New
// over the process's NATS (started first, in Start) and wired to each
// other through engine: the control plane hands endpoints to the
// forwarder, the forwarder reports attempts to the control plane.
type management struct {
	a   *App
	fwd *forwarder.Forwarder
	mgr *controlplane.Manager
	eng *engine
	era *erasure.Service
}

func newManagement(a *App, masterKey []byte, box *piicrypt.Box) (*management, error) {
	m := &management{a: a}
	eng := &engine{log: a.log.With("part", "forwarder"), ingestOnly: !a.cfg.Delivers()}
	fcfg := a.cfg.Forwarder.Config
	fcfg.Endpoints = nil // the control plane's store is the source of truth; it applies them at start
	fwd, err := forwarder.New(fcfg, forwarder.Settings{
		Logger:      a.log.With("part", "forwarder"),
		Registerer:  a.reg,
		Log:         a.elog,
		NATS:        a.nats,
		Sites:       a.sites,
		DB:          deliverylog.WriterFunc(m.writeDeliveries),
		Observer:    eng,
		Suppression: a.suppress,
	})
	if err != nil {
		return nil, fmt.Errorf("forwarder: %w", err)
	}
	era, err := erasure.New(erasure.NewDefaultConfig(), erasure.Settings{
		NATS: a.nats, Bucket: a.cfg.ControlPlane.Bucket + "_ERASURES", DB: a.store.DB, Sites: a.sites,
		Consent: a.consent, Suppress: a.suppress, Box: box, Logger: a.log.With("part", "erasure"),
		Claims: a.turns,
	})
	if err != nil {
		return nil, fmt.Errorf("erasure: %w", err)
	}
	mgr, err := controlplane.New(a.cfg.ControlPlane.Config, controlplane.Settings{
		Logger:                a.log.With("part", "management"),
		Registerer:            a.reg,
		AdminToken:            a.cfg.AdminToken,
		MasterKey:             masterKey,
		NATS:                  a.nats,
		Sites:                 a.sites,
		Engine:                eng,
		History:               history{s: a.store, box: box},
		Analytics:             analytics{s: a.store},
		Erasures:              era,
		AllowedPrivateTargets: a.cfg.Forwarder.AllowedPrivateTargets,
	})
	if err != nil {
		return nil, fmt.Errorf("management: %w", err)
	}
	eng.fwd, eng.observer = fwd, mgr
	m.fwd, m.mgr, m.eng, m.era = fwd, mgr, eng, era
	return m, nil
}

// writeDeliveries records attempts once ClickHouse is connected; before that
// the forwarder keeps the rows (bounded) and retries.
func (m *management) writeDeliveries(ctx context.Context, rows []deliverylog.Record) error {
	db := m.a.store.DB()
	if db == nil {
		return errNotConnected
	}
	return deliverylog.NewClickHouseWriter(db.Conn(), db.Table("deliveries")).WriteDeliveries(ctx, rows)
}

// start starts the forwarder on deliver nodes (its endpoints come from the
// control plane: none until then), seeds the control plane from the config file and
// starts it, which hands every endpoint to the forwarder.
func (m *management) start(ctx context.Context) error {
	if m.a.cfg.Delivers() {
		if err := m.fwd.Start(ctx); err != nil {
			return fmt.Errorf("forwarder: %w", err)
		}
	}
	if err := m.mgr.Seed(ctx, m.a.sites.All(), m.a.cfg.DeclaredEndpoints()); err != nil {
		return fmt.Errorf("management: seeding sites and endpoints from the config file: %w", err)
	}
	if err := m.mgr.Start(ctx); err != nil {
		return fmt.Errorf("management: %w", err)
	}
	if err := m.era.Start(ctx); err != nil {
		return fmt.Errorf("erasure: %w", err)
	}
	return nil
}

// shutdown stops the control plane (its lifecycle drains what the
// forwarder reported), then the forwarder.
func (m *management) shutdown(ctx context.Context) error {
	return errors.Join(m.era.Shutdown(ctx), m.mgr.Shutdown(ctx), m.fwd.Shutdown(ctx))
}
