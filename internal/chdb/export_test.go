package chdb

import (
	"fmt"
	"strings"
)

// DDLText renders every migration's statements for a server with features
// f, each preceded by a "-- version name" line: what Migrate would run on an
// empty database (without the database and schema_migrations themselves).
func DDLText(f Features) string {
	var b strings.Builder
	for _, m := range Migrations {
		fmt.Fprintf(&b, "-- %d %s\n", m.Version, m.Name)
		for _, s := range m.Statements(f) {
			b.WriteString(s)
			b.WriteString(";\n")
		}
	}
	return b.String()
}

// EveryHostSource is DB.EveryHost's source (what follows FROM) for
// features f.
func EveryHostSource(f Features, sys string) string { return f.everyHost(sys) }
