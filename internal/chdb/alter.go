package chdb

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// StorageTable returns the unqualified name of the table whose parts hold
// the rows of table name ("events", "deliveries"): name itself on one
// server, name_local on a cluster (name is then the Distributed table over
// it). system.parts and system.mutations list that name.
func (db *DB) StorageTable(name string) string {
	if db.cfg.Cluster == "" {
		return name
	}
	return name + LocalSuffix
}

// Alter runs ALTER TABLE ... action — a mutation (DELETE WHERE, UPDATE)
// or a partition operation (DROP PARTITION) — on the rows of table name.
// It returns once ClickHouse accepted it, not when a mutation finished.
//
// On one server it alters name. On a cluster, where ClickHouse refuses
// mutations and partition operations on the Distributed table, it alters
// name_local ON CLUSTER: the statement goes through the cluster's DDL
// queue, is run by one replica of every shard and carried to the shard's
// other replicas by replication. It answers once every host took its
// turn; a host that does not within about ReadTimeout is an error (the
// statement stays queued and runs when the host comes back).
func (db *DB) Alter(ctx context.Context, name, action string) error {
	f := db.Features()
	stmt := "ALTER TABLE " + db.Table(db.StorageTable(name)) + f.onCluster() + " " + action
	if f.Cluster != "" {
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{
			"distributed_ddl_task_timeout": ddlTaskTimeout(db.cfg.ReadTimeout),
		}))
	}
	if err := db.conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("alter %s: %w", db.StorageTable(name), err)
	}
	return nil
}

// ddlTaskTimeout is how long, in seconds, an ON CLUSTER statement run
// through Conn waits for every host: three quarters of the read timeout,
// so the server answers (naming the hosts that did not) before the
// connection gives up on it.
func ddlTaskTimeout(read time.Duration) int {
	return max(1, int(read.Seconds()*3/4))
}
