package chlocal

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
)

// ClusterNode is a server's place in a test cluster: one shard whose
// replicas are all on 127.0.0.1, coordinated by one ZooKeeper.
type ClusterNode struct {
	Name      string // the cluster's name in remote_servers
	ZooKeeper string // host:port
	// Shard and Replica are the {shard} and {replica} macros of this server.
	Shard, Replica string
	// Ports are the native ports of every replica of the shard, this one
	// included, in order.
	Ports []int
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
	var replicas strings.Builder
	for _, p := range c.Ports {
		fmt.Fprintf(&replicas, "<replica><host>127.0.0.1</host><port>%d</port></replica>", p)
	}
	return fmt.Sprintf(`
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <interserver_http_port>%d</interserver_http_port>
  <remote_servers><%s><shard><internal_replication>true</internal_replication>%s</shard></%s></remote_servers>
  <zookeeper><node><host>%s</host><port>%s</port></node><session_timeout_ms>30000</session_timeout_ms></zookeeper>
  <macros><shard>%s</shard><replica>%s</replica></macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>`,
		s.InterserverPort, c.Name, replicas.String(), c.Name, xmlEscape(host), xmlEscape(port), xmlEscape(c.Shard), xmlEscape(c.Replica))
}

// StartCluster starts n servers forming cluster name — one shard of n
// replicas (macros shard "01", replica "r1".."rN") using the ZooKeeper at
// zk — each in its own subdirectory of dir, and waits until all answer.
func StartCluster(dir, name, zk string, n int) ([]*Server, error) {
	if n < 1 {
		return nil, errors.New("chlocal: a cluster needs at least one server")
	}
	ports := make([]int, n)
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	servers := make([]*Server, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			servers[i], errs[i] = StartWith(filepath.Join(dir, fmt.Sprintf("r%d", i+1)), Options{
				TCPPort: ports[i],
				Cluster: &ClusterNode{Name: name, ZooKeeper: zk, Shard: "01", Replica: fmt.Sprintf("r%d", i+1), Ports: ports},
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
