package chdb

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

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
	d := quoteString(db.cfg.Database)
	for _, m := range Migrations {
		r := m.Rebuild
		if r == nil || r.name != name {
			continue
		}
		cur, old := quoteString(f.storage(r.name)), quoteString(f.storage(r.old))+", "+quoteString(r.old)
		// Summed over the hosts: old tables left, hosts holding the
		// current table, and those of them where it has the marker.
		var left, hosts, swapped uint64
		err := db.EveryHost(ctx, "tables", func(src string) string {
			return fmt.Sprintf("SELECT countIf(name IN (%s)), countIf(name = %s) FROM %s WHERE database = %s", old, cur, src, d)
		}, func(rows driver.Rows) error {
			var l, h uint64
			err := rows.Scan(&l, &h)
			left, hosts = left+l, hosts+h
			return err
		})
		if err == nil {
			err = db.EveryHost(ctx, "columns", func(src string) string {
				return fmt.Sprintf("SELECT count() FROM %s WHERE database = %s AND table = %s AND name = %s", src, d, cur, quoteString(r.marker))
			}, func(rows driver.Rows) error {
				var n uint64
				err := rows.Scan(&n)
				swapped += n
				return err
			})
		}
		if err != nil {
			return false, fmt.Errorf("look for a rebuild of %s: %w", name, err)
		}
		if left > 0 || swapped < hosts {
			return true, nil
		}
	}
	return false, nil
}
