package chdb

import (
	"context"
	"fmt"
	"time"
)

// Migrate brings the schema up to date: it creates the database and the
// schema_migrations table if missing, then applies, in order, every
// Migration whose version is not recorded there, recording each after it
// succeeds. Running it again is a no-op; two processes running it at once
// is safe (every statement is IF NOT EXISTS; a version recorded twice is
// collapsed by schema_migrations' ReplacingMergeTree).
//
// With Config.Cluster the DDL runs ON CLUSTER (see clusterBookkeeping and
// replacingTable).
func (db *DB) Migrate(ctx context.Context) error {
	name := db.cfg.Database
	if db.cfg.Cluster != "" {
		if err := db.clusterBookkeeping(ctx); err != nil {
			return err
		}
	} else {
		if err := db.admin.Exec(ctx, "CREATE DATABASE IF NOT EXISTS `"+name+"`"); err != nil {
			return fmt.Errorf("migrate: create database %s: %w", name, err)
		}
		if err := db.admin.Exec(ctx, expand(`CREATE TABLE IF NOT EXISTS {db}.schema_migrations (`+schemaMigrationsColumns+`
) ENGINE = ReplacingMergeTree()
ORDER BY version`, name)); err != nil {
			return fmt.Errorf("migrate: create schema_migrations: %w", err)
		}
	}
	applied, err := db.AppliedMigrations(ctx)
	if err != nil {
		return err
	}
	f := db.Features()
	for _, m := range Migrations {
		if applied[m.Version] {
			continue
		}
		if m.Rebuild != nil {
			if err := m.Rebuild.run(ctx, db); err != nil {
				return fmt.Errorf("migrate: %d %s: %w", m.Version, m.Name, err)
			}
		} else {
			for i, stmt := range m.Statements(f) {
				if err := db.admin.Exec(ctx, expand(stmt, name)); err != nil && !alreadyApplied(stmt, err) {
					return fmt.Errorf("migrate: %d %s: statement %d: %w", m.Version, m.Name, i+1, err)
				}
			}
		}
		if err := db.record(ctx, m); err != nil {
			return err
		}
		db.log.Info("clickhouse migration applied", "version", m.Version, "name", m.Name, "database", name)
	}
	return nil
}

const schemaMigrationsColumns = `
    version        UInt32,
    name           String,
    applied_at     DateTime('UTC'),
    server_version String`

// AppliedMigrations returns the versions recorded in schema_migrations.
func (db *DB) AppliedMigrations(ctx context.Context) (map[uint32]bool, error) {
	rows, err := db.admin.Query(ctx, "SELECT DISTINCT version FROM "+db.Table("schema_migrations"))
	if err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	defer rows.Close()
	out := map[uint32]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
		}
		out[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	return out, nil
}

func (db *DB) record(ctx context.Context, m Migration) error {
	b, err := db.admin.PrepareBatch(ctx, "INSERT INTO "+db.Table("schema_migrations")+" (version, name, applied_at, server_version)")
	if err != nil {
		return fmt.Errorf("migrate: record %d: %w", m.Version, err)
	}
	if err := b.Append(m.Version, m.Name, time.Now().UTC().Truncate(time.Second), db.version.String()); err != nil {
		b.Abort()
		return fmt.Errorf("migrate: record %d: %w", m.Version, err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("migrate: record %d: %w", m.Version, err)
	}
	return nil
}
