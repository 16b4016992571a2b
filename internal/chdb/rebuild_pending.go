package chdb

import (
	"context"
	"fmt"
)

// rebuilds are the migrations that rebuild a table (see rebuild), for
// RebuildPending. A new rebuild must be listed here.
var rebuilds = []rebuild{deliveriesAttemptKey}

// RebuildPending reports whether a rebuild of table name ("deliveries") is
// unfinished on some host: its new table is not in place yet (a migration
// will rename the table holding the rows away), or its old table still
// exists (rows are left to copy; an INSERT SELECT copying them may be
// running). Rows a pending rebuild will copy are not in name yet, and a
// mutation (ALTER UPDATE/DELETE, DB.Alter) of name does not reach them: a
// process that must change every row of name (an erasure) waits until it
// answers false. Once it has, no copy is running: the last step drops the
// old tables (on a cluster also the Distributed one the copies read
// through), and a DROP waits for the queries reading the table.
//
// It reads system.tables and system.columns of every host (EveryHost); a
// host that does not answer is an error. It stays true while no process
// runs the migration (one that crashed mid-copy): Migrate finishes it.
func (db *DB) RebuildPending(ctx context.Context, name string) (bool, error) {
	f := db.Features()
	tables, err := db.EveryHost(ctx, "tables")
	if err != nil {
		return false, err
	}
	columns, err := db.EveryHost(ctx, "columns")
	if err != nil {
		return false, err
	}
	for _, r := range rebuilds {
		if r.name != name {
			continue
		}
		cur, old := quoteString(f.storage(r.name)), quoteString(f.storage(r.old))+", "+quoteString(r.old)
		var left, hosts, swapped uint64
		d := quoteString(db.cfg.Database)
		q := fmt.Sprintf("SELECT (SELECT count() FROM %[1]s WHERE database = %[3]s AND name IN (%[5]s)), "+
			"(SELECT count() FROM %[1]s WHERE database = %[3]s AND name = %[4]s), "+
			"(SELECT count() FROM %[2]s WHERE database = %[3]s AND table = %[4]s AND name = %[6]s)",
			tables, columns, d, cur, old, quoteString(r.marker))
		if err := db.conn.QueryRow(ctx, q).Scan(&left, &hosts, &swapped); err != nil {
			return false, fmt.Errorf("look for a rebuild of %s: %w", name, err)
		}
		if left > 0 || swapped < hosts {
			return true, nil
		}
	}
	return false, nil
}
