package chdb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// EveryHost reads the system table system.<sys> ("parts", "mutations") of
// every server holding the bridge's tables: this server on one server; on
// a cluster every replica of every shard listed for Config.Cluster in the
// connected server's remote_servers, this one included.
//
// query builds the statement around source, what follows FROM (args fill
// its ? placeholders); row is called for each row of the result, to Scan
// it. No credential is ever part of the statement's text.
//
//   - One server: the statement runs once, over system.<sys>.
//   - A cluster, from 20.3 (Features.AllReplicas): once, over
//     clusterAllReplicas; the server connects to the other hosts as the
//     cluster's remote_servers say (user, password, secure).
//   - A cluster before 20.3: once on each host system.clusters lists for
//     the cluster (host_name and port), over that host's own
//     system.<sys>, through a connection of its own opened with this
//     DB's options (username, password, TLS, timeouts; no default
//     database) and closed before the next host. The credentials must be
//     valid on every host, and with clickhouse.tls the listed ports must
//     be the secure ones. row then sees each host's rows in turn, so an
//     aggregate or DISTINCT holds per host: the caller folds them (sums
//     the counts, merges the sets).
//
// The read fails, after the rows already seen, when a host does not answer
// or ctx ends; the caller retries later.
func (db *DB) EveryHost(ctx context.Context, sys string, query func(source string) string, row func(driver.Rows) error, args ...any) error {
	f := db.Features()
	if f.Cluster == "" || f.AllReplicas {
		return scanRows(ctx, db.conn, query(f.everyHost(sys)), args, row)
	}
	hosts, err := db.clusterHosts(ctx, f.Cluster)
	if err != nil {
		return err
	}
	q := query(f.everyHost(sys))
	for _, h := range hosts {
		if err := db.onHost(ctx, h, q, args, row); err != nil {
			return fmt.Errorf("clickhouse %s (cluster %s): %w", h, f.Cluster, err)
		}
	}
	return nil
}

// everyHost is EveryHost's source on a server with features f: the local
// table on one server and, without clusterAllReplicas, on each host.
func (f Features) everyHost(sys string) string {
	table := "system." + sys
	if f.Cluster != "" && f.AllReplicas {
		return "clusterAllReplicas(" + quoteString(f.Cluster) + ", " + table + ")"
	}
	return table
}

// clusterHosts lists the hosts ("host:port") of cluster in the connected
// server's system.clusters, each once.
func (db *DB) clusterHosts(ctx context.Context, cluster string) ([]string, error) {
	var hosts []string
	seen := map[string]bool{}
	err := scanRows(ctx, db.conn, "SELECT host_name, port FROM system.clusters WHERE cluster = ?", []any{cluster}, func(rows driver.Rows) error {
		var (
			host string
			port uint16
		)
		if err := rows.Scan(&host, &port); err != nil {
			return err
		}
		if h := hostPort(host, port); !seen[h] {
			seen[h] = true
			hosts = append(hosts, h)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the hosts of cluster %s: %w", cluster, err)
	}
	if len(hosts) == 0 {
		return nil, errors.New("cluster " + cluster + " is not in the server's system.clusters")
	}
	return hosts, nil
}

// onHost runs q on the server at addr through a connection of its own,
// closed before it returns.
func (db *DB) onHost(ctx context.Context, addr, q string, args []any, row func(driver.Rows) error) (err error) {
	cfg := db.cfg
	cfg.Addr = addr
	tlsConf, err := cfg.TLS.build(addr) // the certificate names this host unless tls.server_name is set
	if err != nil {
		return err
	}
	conn, err := clickhouse.Open(options(cfg, tlsConf, "", 1))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	return scanRows(ctx, conn, q, args, row)
}

// scanRows runs q on conn and calls row for each row of its result.
func scanRows(ctx context.Context, conn driver.Conn, q string, args []any, row func(driver.Rows) error) error {
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// hostPort joins a host (an IPv6 address in brackets) and a port.
func hostPort(host string, port uint16) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(int(port))
}

// quoteString is a ClickHouse string literal.
func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
