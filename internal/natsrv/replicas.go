package natsrv

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
)

// clusteredReplicas is the replica count chosen for a cluster of at least
// that many servers: a stream survives the loss of one server.
const clusteredReplicas = 3

// chooseReplicas is Config.Replicas when set, else 1 for the embedded
// server, else 3 when the connected server belongs to a cluster (it
// reports a cluster name) whose members, as the server advertises them
// (INFO connect_urls) together with the configured URLs, number three or
// more.
func chooseReplicas(cfg Config, nc *nats.Conn) (n int, why string) {
	switch {
	case cfg.Replicas > 0:
		return cfg.Replicas, "event_log.replicas"
	case cfg.Embedded():
		return 1, "embedded server"
	case nc.ConnectedClusterName() == "":
		return 1, "server is not clustered"
	}
	if size := clusterSize(nc.Servers()); size >= clusteredReplicas {
		return clusteredReplicas, "cluster of " + strconv.Itoa(size) + " servers"
	}
	return 1, "cluster of fewer than 3 servers"
}

// clusterSize counts the distinct host:port among urls.
func clusterSize(urls []string) int {
	seen := make(map[string]struct{}, len(urls))
	for _, raw := range urls {
		if !strings.Contains(raw, "://") {
			raw = "nats://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		host := u.Hostname()
		if host == "localhost" {
			host = "127.0.0.1"
		}
		port := u.Port()
		if port == "" {
			port = "4222"
		}
		seen[host+":"+port] = struct{}{}
	}
	return len(seen)
}
