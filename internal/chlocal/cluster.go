package chlocal

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
)

// ClusterNode is a server's place in a test cluster: shards of replicas,
// all on 127.0.0.1, coordinated by one ZooKeeper.
type ClusterNode struct {
	Name      string // the cluster's name in remote_servers
	ZooKeeper string // host:port
	// Shard and Replica are the {shard} and {replica} macros of this server.
	Shard, Replica string
	// Shards are the native ports of every replica of every shard, this
	// server included, in order: Shards[i] is shard i+1.
	Shards [][]int
}

// clusterXML declares the cluster (internal_replication: the Replicated
// tables copy an insert to the other replicas themselves), ZooKeeper, the
// macros, the distributed DDL queue (ON CLUSTER) and the interserver port
// replicas fetch parts from.
func (s *Server) clusterXML() string {
	c := s.opts.Cluster
	if c == nil {
		return ""
	}
	host, port, _ := strings.Cut(c.ZooKeeper, ":")
	var shards strings.Builder
	for _, ports := range c.Shards {
		shards.WriteString("<shard><internal_replication>true</internal_replication>")
		for _, p := range ports {
			fmt.Fprintf(&shards, "<replica><host>127.0.0.1</host><port>%d</port></replica>", p)
		}
		shards.WriteString("</shard>")
	}
	return fmt.Sprintf(`
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <interserver_http_port>%d</interserver_http_port>
  <remote_servers><%s>%s</%s></remote_servers>
  <zookeeper><node><host>%s</host><port>%s</port></node><session_timeout_ms>30000</session_timeout_ms></zookeeper>
  <macros><shard>%s</shard><replica>%s</replica></macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>`,
		s.InterserverPort, c.Name, shards.String(), c.Name, xmlEscape(host), xmlEscape(port), xmlEscape(c.Shard), xmlEscape(c.Replica))
}

// StartCluster starts n servers forming cluster name — one shard of n
// replicas — as StartShards does.
func StartCluster(dir, name, zk string, n int) ([]*Server, error) {
	return StartShards(dir, name, zk, n)
}

// StartShards starts the servers of cluster name: len(replicas) shards,
// shard i (macro shard "01", "02", ...) with replicas[i] replicas (macro
// replica "r1".."rN"), using the ZooKeeper at zk, each server in its own
// subdirectory of dir (r<replica> with one shard, s<shard>-r<replica> with
// more). It waits until all answer and returns them shard by shard.
func StartShards(dir, name, zk string, replicas ...int) ([]*Server, error) {
	return StartShardsWith(dir, name, zk, Options{}, replicas...)
}

// StartShardsWith is StartShards with o's Users on every server (o's
// other fields are not used).
func StartShardsWith(dir, name, zk string, o Options, replicas ...int) ([]*Server, error) {
	if len(replicas) == 0 {
		return nil, errors.New("chlocal: a cluster needs at least one shard")
	}
	type place struct{ shard, replica, port int }
	var places []place
	shards := make([][]int, len(replicas))
	for s, n := range replicas {
		if n < 1 {
			return nil, errors.New("chlocal: a shard needs at least one server")
		}
		for r := range n {
			p, err := freePort()
			if err != nil {
				return nil, err
			}
			shards[s] = append(shards[s], p)
			places = append(places, place{s + 1, r + 1, p})
		}
	}
	servers := make([]*Server, len(places))
	errs := make([]error, len(places))
	var wg sync.WaitGroup
	for i, pl := range places {
		sub := fmt.Sprintf("r%d", pl.replica)
		if len(replicas) > 1 {
			sub = fmt.Sprintf("s%d-r%d", pl.shard, pl.replica)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			servers[i], errs[i] = StartWith(filepath.Join(dir, sub), Options{
				TCPPort: pl.port, Users: o.Users,
				Cluster: &ClusterNode{Name: name, ZooKeeper: zk, Shard: fmt.Sprintf("%02d", pl.shard),
					Replica: fmt.Sprintf("r%d", pl.replica), Shards: shards},
			})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, s := range servers {
			if s != nil {
				s.Stop()
			}
		}
		return nil, err
	}
	return servers, nil
}
