package chdb

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// LocalSuffix names the per-node table under a Distributed table on a
// cluster: events_local holds the rows, events reads and writes them.
const LocalSuffix = "_local"

// onCluster is the ON CLUSTER clause of DDL; "" on one server.
func (f Features) onCluster() string {
	if f.Cluster == "" {
		return ""
	}
	return " ON CLUSTER `" + f.Cluster + "`"
}

// replacingTable returns the DDL of a ReplacingMergeTree table: columns is
// the column list and clauses what follows the ENGINE (PARTITION BY, ORDER
// BY, SETTINGS).
//
// On one server it is one table, name. On a cluster it is, ON CLUSTER,
// name_local — ReplicatedReplacingMergeTree at
// /clickhouse/tables/{shard}/<db>/name_local, replica {replica} (the
// servers' macros) — and name, a Distributed table over it. The Distributed
// table keeps the name every reader and writer uses. Rows are sharded by
// shardKey, a hash of the row's identity, so every copy of a row lands on
// the same shard and FINAL (applied per shard) still collapses them.
func (f Features) replacingTable(name, columns, clauses, shardKey string) []string {
	if f.Cluster == "" {
		return []string{f.storageDDL(name, columns, clauses)}
	}
	return []string{f.storageDDL(name, columns, clauses), f.distributed(name, shardKey)}
}

// storageDDL is the DDL of the table holding the rows of table name (see
// replacingTable): name on one server, the Replicated name_local ON CLUSTER
// on a cluster.
func (f Features) storageDDL(name, columns, clauses string) string {
	if f.Cluster == "" {
		return "CREATE TABLE IF NOT EXISTS {db}." + name + " (\n" + columns + "\n) ENGINE = ReplacingMergeTree()\n" + clauses
	}
	local := name + LocalSuffix
	return "CREATE TABLE IF NOT EXISTS {db}." + local + f.onCluster() + " (\n" + columns +
		"\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{db_name}/" + local + "', '{replica}')\n" + clauses
}

// storage is the name of the table holding the rows of table name:
// name_local on a cluster.
func (f Features) storage(name string) string {
	if f.Cluster == "" {
		return name
	}
	return name + LocalSuffix
}

// clusterDDLTimeout is how long the connection running migrations waits for
// one answer on a cluster: ClickHouse's default distributed_ddl_task_timeout.
const clusterDDLTimeout = 180 * time.Second

// addColumns returns the DDL adding columns (each "name type ...") to a
// table made by replacingTable with the same shardKey. On one server it is
// one ALTER per column, so a re-run after a crash between them adds the
// ones missing (Migrate accepts "column exists"). On a cluster it is one
// ALTER for all of them (one round through the cluster's DDL queue, applied
// at once, so a re-run finds all or none): the Replicated name_local is
// altered ON CLUSTER (replication carries it to
// every replica); the Distributed table over it cannot be (18.16 refuses
// an ALTER ON CLUSTER of a non-replicated table on a replicated shard), so
// it is dropped and created again with the new columns: reads through it
// fail for that moment, and an insert then is retried by the sink, whose
// log keeps the rows.
func (f Features) addColumns(name, shardKey string, columns ...string) []string {
	if f.Cluster == "" {
		var out []string
		for _, c := range columns {
			out = append(out, "ALTER TABLE {db}."+name+" ADD COLUMN "+c)
		}
		return out
	}
	add := " ADD COLUMN " + strings.Join(columns, ", ADD COLUMN ")
	return []string{
		"ALTER TABLE {db}." + name + LocalSuffix + f.onCluster() + add,
		"DROP TABLE IF EXISTS {db}." + name + f.onCluster(),
		f.distributed(name, shardKey),
	}
}

// distributed is the DDL of the Distributed table name over name_local.
func (f Features) distributed(name, shardKey string) string {
	local := name + LocalSuffix
	return "CREATE TABLE IF NOT EXISTS {db}." + name + f.onCluster() + " AS {db}." + local +
		"\nENGINE = Distributed('" + f.Cluster + "', '{db_name}', '" + local + "', " + shardKey + ")"
}

// clusterBookkeeping creates the database and schema_migrations ON CLUSTER.
// schema_migrations is one ReplicatedReplacingMergeTree table for the whole
// cluster (ZooKeeper path without {shard}; replica "{shard}-{replica}", unique
// even where replica names repeat across shards), so a version recorded
// through any node is seen by every node.
//
// ON CLUSTER DDL goes through the cluster's queue in ZooKeeper and waits for
// every host. When this server already has schema_migrations nothing is
// queued (and a non-replicated one, left by a single-server setup, is an
// error: its tables are not converted), so a node starting while some ClickHouse host is down is not held
// up by it unless a migration is pending. Nodes migrating at once each queue
// their statements; every host runs the queue in order and IF NOT EXISTS
// makes the repeats no-ops, so nothing is dropped or replaced.
func (db *DB) clusterBookkeeping(ctx context.Context) error {
	var engines []string
	rows, err := db.admin.Query(ctx, "SELECT engine FROM system.tables WHERE database = ? AND name = 'schema_migrations'", db.cfg.Database)
	if err != nil {
		return fmt.Errorf("migrate: look for schema_migrations: %w", err)
	}
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			rows.Close()
			return fmt.Errorf("migrate: look for schema_migrations: %w", err)
		}
		engines = append(engines, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrate: look for schema_migrations: %w", err)
	}
	f := db.Features()
	name := db.cfg.Database
	if len(engines) == 1 {
		if !strings.HasPrefix(engines[0], "Replicated") {
			return fmt.Errorf("clickhouse.cluster: database %s was migrated for one server (schema_migrations is %s, not replicated); "+
				"a database is not converted in place: set clickhouse.database to a new database for the cluster", name, engines[0])
		}
		return nil
	}
	if err := db.admin.Exec(ctx, "CREATE DATABASE IF NOT EXISTS `"+name+"`"+f.onCluster()); err != nil {
		return fmt.Errorf("migrate: create database %s on cluster %s: %w", name, f.Cluster, err)
	}
	if err := db.admin.Exec(ctx, expand(`CREATE TABLE IF NOT EXISTS {db}.schema_migrations`+f.onCluster()+` (`+schemaMigrationsColumns+`
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{db_name}/schema_migrations', '{shard}-{replica}')
ORDER BY version`, name)); err != nil {
		return fmt.Errorf("migrate: create schema_migrations on cluster %s: %w", f.Cluster, err)
	}
	return nil
}
