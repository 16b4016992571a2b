package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/popinbridge/bridge/collector/chsink"
	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/retry"
)

// storage connects to ClickHouse in the background (retrying with backoff,
// so the bridge runs while ClickHouse is down), migrates the schema, then
// starts the parts that need it.
type storage struct {
	a      *App
	reader eventlog.Reader // registered at Start so retention keeps what the sink has not read; nil on ingest nodes

	mu   sync.Mutex
	db   *chdb.DB
	sink *chsink.Sink
}

var errNotConnected = errors.New("not connected yet")

func newStorage(a *App) *storage { return &storage{a: a} }

func (s *storage) run(ctx context.Context) {
	log := s.a.log.With("part", "clickhouse")
	backoff := retry.Backoff{Min: time.Second, Max: 30 * time.Second}
	for {
		db, err := s.connect(ctx)
		if err == nil {
			if err = s.startConsumers(ctx, db); err == nil {
				return
			}
			db.Close()
		}
		if ctx.Err() != nil {
			return
		}
		wait := backoff.Next()
		log.Warn("clickhouse not ready; events stay in the log and ingest keeps acking", "addr", s.a.cfg.ClickHouse.Addr, "retry_in", wait, "err", err)
		if !retry.Sleep(ctx, wait) {
			return
		}
	}
}

func (s *storage) connect(ctx context.Context) (*chdb.DB, error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	db, err := chdb.Open(cctx, s.a.cfg.ClickHouse, chdb.Settings{Logger: s.a.log.With("part", "clickhouse"), Registerer: s.a.reg})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(cctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (s *storage) startConsumers(ctx context.Context, db *chdb.DB) error {
	if s.reader == nil { // role ingest: ClickHouse only for the management API
		s.mu.Lock()
		s.db = db
		s.mu.Unlock()
		return nil
	}
	var seal func(string) string
	if box := s.a.piiBox; box != nil {
		seal = box.Seal
	}
	sink, err := chsink.New(s.a.cfg.ClickHouseSink, chsink.Settings{
		Logger: s.a.log.With("part", "clickhouse_sink"), Registerer: s.a.reg, DB: db, Reader: s.reader, Sites: s.a.sites,
		SealPII: seal, Suppression: s.a.suppress,
	})
	if err != nil {
		return err
	}
	if err := sink.Start(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	s.db, s.sink = db, sink
	s.mu.Unlock()
	return nil
}

// DB returns the connected database, or nil before the connection is made.
func (s *storage) DB() *chdb.DB {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db
}

func (s *storage) ready(ctx context.Context) error {
	db := s.DB()
	if db == nil {
		return errNotConnected
	}
	return db.Ping(ctx)
}

func (s *storage) shutdown(ctx context.Context) error {
	s.mu.Lock()
	db, sink := s.db, s.sink
	s.mu.Unlock()
	var errs []error
	if sink != nil {
		errs = append(errs, sink.Shutdown(ctx))
	}
	if db != nil {
		errs = append(errs, db.Close())
	}
	return errors.Join(errs...)
}
