package chdb

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
)

// Settings are the code-supplied parts of Open.
type Settings struct {
	Logger     *slog.Logger          // nil: slog.Default()
	Registerer prometheus.Registerer // unused for now; kept for the component convention
}

// DB is an open ClickHouse client. Safe for concurrent use.
type DB struct {
	cfg     Config
	log     *slog.Logger
	admin   driver.Conn // no default database: used to create it and to probe
	conn    driver.Conn // default database = cfg.Database
	version Version
}

// Open validates cfg, connects with the native protocol, pings the server and
// records its version. It fails (wrapping ErrUnavailable) when the server
// cannot be reached; callers that must start without ClickHouse retry Open.
// The database need not exist yet: Migrate creates it.
func Open(ctx context.Context, cfg Config, set Settings) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := set.Logger
	if log == nil {
		log = slog.Default()
	}
	tlsConf, err := cfg.TLS.build(cfg.Addr)
	if err != nil {
		return nil, err
	}
	adminOpts := options(cfg, tlsConf, "", 1)
	if cfg.Cluster != "" {
		// ON CLUSTER DDL answers once every host ran it, which ClickHouse
		// allows to take distributed_ddl_task_timeout (180 s by default).
		adminOpts.ReadTimeout = max(adminOpts.ReadTimeout, clusterDDLTimeout)
	}
	admin, err := clickhouse.Open(adminOpts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: %w", cfg.Addr, err)
	}
	if err := admin.Ping(ctx); err != nil {
		admin.Close()
		return nil, pingError(cfg, err)
	}
	sv, err := admin.ServerVersion()
	if err != nil {
		admin.Close()
		return nil, fmt.Errorf("clickhouse %s: server version: %w: %w", cfg.Addr, ErrUnavailable, err)
	}
	// The pool dials lazily, so this works before the database exists.
	conn, err := clickhouse.Open(options(cfg, tlsConf, cfg.Database, cfg.MaxOpenConns))
	if err != nil {
		admin.Close()
		return nil, fmt.Errorf("clickhouse %s: %w", cfg.Addr, err)
	}
	db := &DB{
		cfg: cfg, log: log, admin: admin, conn: conn,
		version: Version{int(sv.Version.Major), int(sv.Version.Minor), int(sv.Version.Patch)},
	}
	log.Info("clickhouse connected", "addr", cfg.Addr, "database", cfg.Database, "username", cfg.Username, "tls", cfg.TLS.Enabled, "server_version", db.version.String())
	return db, nil
}

func options(cfg Config, tlsConf *tls.Config, database string, maxOpen int) *clickhouse.Options {
	o := &clickhouse.Options{
		Addr:     []string{cfg.Addr},
		Protocol: clickhouse.Native,
		TLS:      tlsConf,
		Auth: clickhouse.Auth{
			Database: database,
			Username: cfg.Username,
			Password: cfg.Password,
		},
		DialTimeout:     cfg.DialTimeout,
		ReadTimeout:     cfg.ReadTimeout,
		MaxOpenConns:    maxOpen,
		MaxIdleConns:    maxOpen,
		ConnMaxLifetime: connMaxLifetime,
	}
	if cfg.Cluster != "" && database != "" {
		// An insert into a Distributed table returns once a replica of
		// each shard stored it, not when it is queued on this server:
		// the sink acks the log only after that.
		o.Settings = clickhouse.Settings{"insert_distributed_sync": 1}
	}
	if cfg.Compression == "lz4" {
		o.Compression = &clickhouse.Compression{Method: clickhouse.CompressionLZ4}
	}
	return o
}

// Conn is the connection pool whose default database is Config.Database, so
// statements may name tables unqualified ("events", "deliveries"). Use it
// only after Migrate (or once the database exists).
func (db *DB) Conn() driver.Conn { return db.conn }

// Database is the configured database name.
func (db *DB) Database() string { return db.cfg.Database }

// Table returns the qualified, quoted name of a table in the bridge database.
func (db *DB) Table(name string) string { return "`" + db.cfg.Database + "`.`" + name + "`" }

// ServerVersion is the server's version as reported at Open.
func (db *DB) ServerVersion() Version { return db.version }

// Features are the optional capabilities the schema uses on this server.
func (db *DB) Features() Features {
	f := FeaturesFor(db.version)
	f.Cluster = db.cfg.Cluster
	return f
}

// Ping checks that the server answers and the database exists (readiness).
func (db *DB) Ping(ctx context.Context) error {
	if err := db.conn.Ping(ctx); err != nil {
		return fmt.Errorf("clickhouse %s: %w: %w", db.cfg.Addr, ErrUnavailable, err)
	}
	return nil
}

// Close closes both pools. Safe twice.
func (db *DB) Close() error {
	return errors.Join(db.conn.Close(), db.admin.Close())
}
