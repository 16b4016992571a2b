package chdb_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chlocal"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// EveryHost reads the local table without a cluster and, before 20.3, on
// each host of a cluster; clusterAllReplicas from 20.3.
func TestEveryHostSource(t *testing.T) {
	old, modern := chdb.FeaturesFor(chdb.Version{18, 16, 1}), chdb.FeaturesFor(chdb.Version{24, 8, 0})
	oldC, modernC := old, modern
	oldC.Cluster, modernC.Cluster = "c1", "c1"
	tests := []struct {
		f    chdb.Features
		want string
	}{
		{old, "system.parts"},
		{modern, "system.parts"},
		{oldC, "system.parts"},
		{modernC, "clusterAllReplicas('c1', system.parts)"},
	}
	for _, tt := range tests {
		if got := chdb.EveryHostSource(tt.f, "parts"); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt.f, got, tt.want)
		}
	}
}

// TestEveryHostCluster reads system.parts on a cluster of two shards of
// one 18.16 server each (no clusterAllReplicas), as a user with a
// password: the rows of both hosts are seen; each host's query_log holds
// the statement the bridge sent it (queries logged through the session's
// log_queries) and nowhere the password; the connection opened to each
// host is there during the read and gone after it. With shard 2 stopped
// the read fails, naming it, and still leaves no connection open.
func TestEveryHostCluster(t *testing.T) {
	const cluster = "bridge_test"
	password := fmt.Sprintf("Secret-%d-pw", os.Getpid())
	_, srvs := chtest.ShardsWith(t, cluster, chlocal.Options{Users: map[string]string{"bridge": password}}, 1, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	database := chtest.DatabaseName("every_host")
	for i, srv := range srvs { // partition i+1 on srvs[i] only
		httpQuery(t, srv, "CREATE DATABASE "+database)
		httpQuery(t, srv, "CREATE TABLE "+database+".t (p UInt32) ENGINE = MergeTree PARTITION BY p ORDER BY p")
		httpQuery(t, srv, fmt.Sprintf("INSERT INTO %s.t VALUES (%d)", database, i+1))
	}
	cfg := chdb.NewDefaultConfig()
	cfg.Addr, cfg.Database, cfg.Cluster = srvs[0].Addr(), database, cluster
	cfg.Username, cfg.Password = "bridge", password
	db, err := chdb.Open(ctx, cfg, chdb.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(ctx); err != nil { // the pool's connection, kept idle, is in the baseline
		t.Fatal(err)
	}
	base := make([]int, len(srvs))
	for i, srv := range srvs {
		base[i] = tcpConnections(t, srv)
	}

	var got []string
	during := make([]int, len(srvs))
	read := func(ctx context.Context) error {
		return db.EveryHost(ctx, "parts", func(parts string) string {
			return "SELECT DISTINCT partition FROM " + parts + " WHERE database = ? AND table = 't' AND active"
		}, func(rows driver.Rows) error {
			var p string
			if err := rows.Scan(&p); err != nil {
				return err
			}
			got = append(got, p)
			if i, err := strconv.Atoi(p); err == nil && i >= 1 && i <= len(srvs) {
				during[i-1] = tcpConnections(t, srvs[i-1])
			}
			return nil
		}, database)
	}
	if err := read(clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1}))); err != nil {
		t.Fatal(err)
	}
	if slices.Sort(got); !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("partitions %q, want both hosts' 1 and 2", got)
	}
	secret := "unhex('" + strings.ToUpper(hex.EncodeToString([]byte(password))) + "')" // the check's own text holds no password
	for i, srv := range srvs {
		if during[i] <= base[i] {
			t.Errorf("server %d: %d TCP connections while read, %d before: the read's own connection not seen", i+1, during[i], base[i])
		}
		httpQuery(t, srv, "SYSTEM FLUSH LOGS")
		out := httpQuery(t, srv, fmt.Sprintf("SELECT countIf(position(query, 'FROM system.parts WHERE database = ''%s''') > 0), "+
			"countIf(position(query, %s) > 0) FROM system.query_log WHERE user = 'bridge' FORMAT CSV", database, secret))
		if sent, leaked, _ := strings.Cut(out, ","); sent == "0" || leaked != "0" {
			t.Errorf("server %d query_log: %s statements of the read, %s holding the password; want some and none", i+1, sent, leaked)
		}
	}
	wantClosed(t, srvs, base)

	srvs[1].Stop()
	got = nil
	if err := read(ctx); err == nil || !strings.Contains(err.Error(), srvs[1].Addr()) {
		t.Errorf("read with shard 2 stopped: %v (rows %q), want an error naming %s", err, got, srvs[1].Addr())
	}
	wantClosed(t, srvs[:1], base)
}

// wantClosed waits until each server has its baseline count of native
// connections again.
func wantClosed(t *testing.T, srvs []*chtest.Server, base []int) {
	t.Helper()
	for i, srv := range srvs {
		testkit.Eventually(t, 30*time.Second, func() error {
			if n := tcpConnections(t, srv); n != base[i] {
				return fmt.Errorf("server %d: %d TCP connections, %d before the read", i+1, n, base[i])
			}
			return nil
		})
	}
}

// tcpConnections is the server's count of open native-protocol
// connections, asked over HTTP (which is not one).
func tcpConnections(t *testing.T, srv *chtest.Server) int {
	t.Helper()
	n, err := strconv.Atoi(httpQuery(t, srv, "SELECT value FROM system.metrics WHERE metric = 'TCPConnection'"))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// httpQuery runs q as the password-less default user over HTTP.
func httpQuery(t *testing.T, srv *chtest.Server, q string) string {
	t.Helper()
	resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/", srv.HTTPPort), "text/plain", strings.NewReader(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %s %s (%v)", q, resp.Status, body, err)
	}
	return strings.TrimSpace(string(body))
}
