package chdb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// EveryHost returns the source (what follows FROM) reading the system
// table system.<sys> ("parts", "mutations") of every server holding the
// bridge's tables: this server on one server; on a cluster every replica
// of every shard listed for Config.Cluster in the connected server's
// remote_servers, this one included. A query over it fails while a host
// does not answer.
//
// From 20.3 (Features.AllReplicas) it is clusterAllReplicas, which
// connects as the cluster's remote_servers say (user, password, secure).
// Before, it is remote() over the hosts system.clusters lists, connecting
// with this connection's username and password (which must then be valid
// on every host; the password is in the query text, so in the server's
// query_log where enabled) to each host's plain native port.
func (db *DB) EveryHost(ctx context.Context, sys string) (string, error) {
	f := db.Features()
	if f.Cluster == "" || f.AllReplicas {
		return f.everyHost(sys, nil, "", ""), nil
	}
	rows, err := db.conn.Query(ctx, "SELECT host_name, port FROM system.clusters WHERE cluster = ?", f.Cluster)
	if err != nil {
		return "", fmt.Errorf("list the hosts of cluster %s: %w", f.Cluster, err)
	}
	defer rows.Close()
	var hosts []string
	for rows.Next() {
		var (
			host string
			port uint16
		)
		if err := rows.Scan(&host, &port); err != nil {
			return "", fmt.Errorf("list the hosts of cluster %s: %w", f.Cluster, err)
		}
		hosts = append(hosts, hostPort(host, port))
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("list the hosts of cluster %s: %w", f.Cluster, err)
	}
	if len(hosts) == 0 {
		return "", errors.New("cluster " + f.Cluster + " is not in the server's system.clusters")
	}
	return f.everyHost(sys, hosts, db.cfg.Username, db.cfg.Password), nil
}

// everyHost is EveryHost's source given the hosts ("host:port") of the
// cluster, for servers without clusterAllReplicas.
func (f Features) everyHost(sys string, hosts []string, user, password string) string {
	table := "system." + sys
	switch {
	case f.Cluster == "":
		return table
	case f.AllReplicas:
		return "clusterAllReplicas(" + quoteString(f.Cluster) + ", " + table + ")"
	}
	// remote() takes shards apart with ',' (each is queried) and replicas
	// with '|' (one is): every host is a shard of its own here.
	return "remote(" + quoteString(strings.Join(hosts, ",")) + ", " + table + ", " + quoteString(user) + ", " + quoteString(password) + ")"
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
