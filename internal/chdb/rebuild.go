package chdb

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// deliveriesAttemptKeyDDL (migration 8) is deliveries with a sort key in
// which distinct attempts never collide. Up to migration 7 the key was
// (endpoint_id, attempted_at, delivery_id, attempt) with attempted_at in
// whole seconds, so a replay's attempt 1 (attempt numbers start again)
// made within the same second as the delivery's first attempt collapsed
// with it. The key now also holds trigger and attempted_ns (attempted_at in
// nanoseconds, DeliveriesAttemptedNSColumn): two attempts are separate
// requests made at different instants, while the same attempt row written
// twice (the delivery log's retry of an insert whose outcome it does not
// know, with exactly the same rows) still has one key and collapses.
//
// A sort key cannot be altered, so the table is rebuilt: see rebuild.
// Statements shows the new table; Run (deliveriesAttemptKey) does the work.
func deliveriesAttemptKeyDDL(f Features) []string {
	settings := "index_granularity = 8192"
	if f.InsertDedup && f.Cluster == "" {
		settings += ", non_replicated_deduplication_window = 1000"
	}
	return []string{f.storageDDL("deliveries_v8", deliveriesV2Columns(f)+`,
    match_keys      String,
    trigger         String,
    attempted_ns    UInt64 DEFAULT toUInt64(attempted_at) * 1000000000`,
		`PARTITION BY toYYYYMM(attempted_at)
ORDER BY (endpoint_id, attempted_at, delivery_id, attempt, trigger, attempted_ns)
SETTINGS `+settings)}
}

var deliveriesAttemptKey = rebuild{
	name: "deliveries", old: "deliveries_v7", next: "deliveries_v8", shardKey: deliveriesShardKey,
	create:    func(f Features) string { return deliveriesAttemptKeyDDL(f)[0] },
	marker:    DeliveriesAttemptedNSColumn,
	columns:   DeliveriesColumns + ", " + DeliveriesMatchKeysColumn + ", " + DeliveriesTriggerColumn,
	partition: "toYYYYMM(attempted_at)",
}

// rebuild replaces the storage table of name (see Features.storage) by a
// new one, keeping the rows:
//
//  1. create next (new definition), then in one RENAME: name → old,
//     next → name. Writers now write into the new table (an older build's
//     inserts, without the new columns, get their defaults);
//  2. on a cluster, recreate the Distributed name over the new name_local
//     (it keeps the columns it was created with) and create a Distributed
//     old over old_local to read it;
//  3. copy old into name one partition at a time (INSERT SELECT), dropping
//     each partition from old once copied;
//  4. drop old.
//
// Between 1 and the end of 3, reads of name miss the rows not copied yet.
// A crash anywhere is resumed by the next run, which finds where it stands
// from the tables (name has marker: step 1 is done; old exists: rows are
// left to copy). A partition copied again (crash between its copy and its
// drop, or two processes copying at once) adds identical rows, which
// ReplacingMergeTree collapses like any re-inserted row. It uses only what
// 18.16 has: RENAME of several tables in one statement (there is no
// EXCHANGE TABLES) and DROP PARTITION ID.
type rebuild struct {
	name, old, next string
	shardKey        string
	create          func(f Features) string // DDL of next's storage table
	marker          string                  // a column only the new definition has
	columns         string                  // the columns the old table has, copied
	partition       string                  // both tables' PARTITION BY expression
}

func (r rebuild) run(ctx context.Context, db *DB) error {
	f := db.Features()
	swapped, err := db.hasColumn(ctx, f.storage(r.name), r.marker)
	if err != nil {
		return err
	}
	if !swapped {
		if err := r.swap(ctx, db, f); err != nil {
			// Another process may have swapped them meanwhile.
			if again, err2 := db.hasColumn(ctx, f.storage(r.name), r.marker); err2 != nil || !again {
				return fmt.Errorf("rebuild %s: %w", r.name, err)
			}
		}
	}
	if f.Cluster != "" {
		current, err := db.hasColumn(ctx, r.name, r.marker)
		if err != nil {
			return err
		}
		if !current {
			if err := db.execDDL(ctx, "DROP TABLE IF EXISTS {db}."+r.name+f.onCluster(), nil); err != nil {
				return fmt.Errorf("rebuild %s: %w", r.name, err)
			}
			if err := db.execDDL(ctx, f.distributed(r.name, r.shardKey), nil); err != nil {
				return fmt.Errorf("rebuild %s: %w", r.name, err)
			}
		}
	}
	left, err := db.hasTable(ctx, f.storage(r.old))
	if err != nil {
		return err
	}
	if left {
		if err := r.copy(ctx, db, f); err != nil {
			// Another process may have copied every row and dropped old
			// meanwhile (it drops old only after copying all of it).
			if still, err2 := db.hasTable(ctx, f.storage(r.old)); err2 != nil || still {
				return fmt.Errorf("rebuild %s: %w", r.name, err)
			}
		}
	}
	// old's storage first: a process still copying then fails for want of
	// it, which it takes as the copy being done (above).
	drops := []string{"DROP TABLE IF EXISTS {db}." + f.storage(r.old) + f.onCluster()}
	if f.Cluster != "" {
		drops = append(drops, "DROP TABLE IF EXISTS {db}."+r.old+f.onCluster())
	} else {
		// An empty next a process created after another's swap (on a
		// cluster it cannot exist: its replica path is the live table's).
		drops = append(drops, "DROP TABLE IF EXISTS {db}."+r.next)
	}
	for _, s := range drops {
		if err := db.execDDL(ctx, s, nil); err != nil {
			return fmt.Errorf("rebuild %s: %w", r.name, err)
		}
	}
	return nil
}

// swap creates next and renames it into place, keeping the current table
// as old.
func (r rebuild) swap(ctx context.Context, db *DB, f Features) error {
	if err := db.execDDL(ctx, r.create(f), nil); err != nil {
		return err
	}
	cur, old, next := f.storage(r.name), f.storage(r.old), f.storage(r.next)
	return db.execDDL(ctx, "RENAME TABLE {db}."+cur+" TO {db}."+old+", {db}."+next+" TO {db}."+cur+f.onCluster(), nil)
}

// copy moves old's rows into name, partition by partition.
func (r rebuild) copy(ctx context.Context, db *DB, f Features) error {
	var ins clickhouse.Settings
	if f.Cluster != "" {
		// Through the Distributed tables: old's rows of every shard, each
		// written to its shard (same shard key) before its partition is
		// dropped.
		if err := db.execDDL(ctx, f.distributed(r.old, r.shardKey), nil); err != nil {
			return err
		}
		ins = clickhouse.Settings{"insert_distributed_sync": 1}
	}
	cols := r.columns
	// old already has the new columns when this run swapped a table that
	// another process had rebuilt (it ran between this one's check and its
	// RENAME): keep their values.
	if has, err := db.hasColumn(ctx, f.storage(r.old), r.marker); err != nil {
		return err
	} else if has {
		cols += ", " + r.marker
	}
	parts, err := db.partitions(ctx, r.old, r.partition)
	if err != nil {
		return err
	}
	for _, p := range parts {
		db.log.Info("clickhouse migration: copying partition", "table", r.name, "partition", p)
		if err := db.execDDL(ctx, "INSERT INTO {db}."+r.name+" ("+cols+") SELECT "+cols+" FROM {db}."+r.old+
			" WHERE "+r.partition+" = "+p, ins); err != nil {
			return fmt.Errorf("copy partition %s: %w", p, err)
		}
		if err := db.execDDL(ctx, "ALTER TABLE {db}."+f.storage(r.old)+f.onCluster()+" DROP PARTITION ID '"+p+"'", nil); err != nil {
			return fmt.Errorf("drop copied partition %s: %w", p, err)
		}
	}
	return nil
}

// partitions returns the values of expr (a numeric PARTITION BY
// expression, whose partition IDs are its decimal values) in table.
func (db *DB) partitions(ctx context.Context, table, expr string) ([]string, error) {
	rows, err := db.admin.Query(ctx, "SELECT DISTINCT toString("+expr+") AS p FROM "+db.Table(table)+" ORDER BY p")
	if err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("list partitions of %s: %w", table, err)
		}
		if _, err := strconv.ParseUint(p, 10, 64); err != nil {
			return nil, fmt.Errorf("list partitions of %s: partition %q is not a number", table, p)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", table, err)
	}
	return out, nil
}

// execDDL runs stmt ("{db}" expanded) on the admin connection, with
// settings when not nil.
func (db *DB) execDDL(ctx context.Context, stmt string, settings clickhouse.Settings) error {
	if settings != nil {
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(settings))
	}
	return db.admin.Exec(ctx, expand(stmt, db.cfg.Database))
}

// hasColumn reports whether table (in the bridge database) exists and has
// column.
func (db *DB) hasColumn(ctx context.Context, table, column string) (bool, error) {
	var n uint64
	if err := db.admin.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?",
		db.cfg.Database, table, column).Scan(&n); err != nil {
		return false, fmt.Errorf("look for column %s.%s: %w", table, column, err)
	}
	return n > 0, nil
}

// hasTable reports whether table exists in the bridge database.
func (db *DB) hasTable(ctx context.Context, table string) (bool, error) {
	var n uint64
	if err := db.admin.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = ?",
		db.cfg.Database, table).Scan(&n); err != nil {
		return false, fmt.Errorf("look for table %s: %w", table, err)
	}
	return n > 0, nil
}
