package packaging

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// checkNATS loads the StatefulSet's nats.conf with the NATS server's own
// parser, as each pod does, and checks that it forms a JetStream cluster of
// the StatefulSet's pods (routes through the headless Service) and that the
// bridge container's BRIDGE_NATS_URL lists exactly those servers.
func checkNATS(t *testing.T, objs []*k8sObject, bridge k8sContainer) {
	t.Helper()
	sts := k8sMust(t, objs, "StatefulSet", "nats")
	if sts.Spec.Replicas != 3 {
		t.Errorf("StatefulSet nats has %d replicas, want 3 (a JetStream quorum survives one loss)", sts.Spec.Replicas)
	}
	svc := k8sMust(t, objs, "Service", sts.Spec.ServiceName)
	if svc.Spec.ClusterIP != "None" {
		t.Errorf("Service %s (the StatefulSet's serviceName) must be headless (clusterIP: None)", svc.Metadata.Name)
	}
	pod := sts.Spec.Template.Spec
	c := pod.Containers[0]
	var cmName string
	for _, v := range pod.Volumes {
		if v.ConfigMap != nil {
			cmName = v.ConfigMap.Name
		}
	}
	conf, ok := k8sMust(t, objs, "ConfigMap", cmName).Data["nats.conf"]
	if !ok {
		t.Fatalf("ConfigMap %s has no nats.conf", cmName)
	}
	path := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("POD_NAME", "nats-1")
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("nats.conf: %v", err)
	}
	if opts.ServerName != "nats-1" {
		t.Errorf("server_name = %q, want the pod's name", opts.ServerName)
	}
	var dataMount string
	for _, m := range c.VolumeMounts {
		if m.Name == "data" {
			dataMount = m.MountPath
		}
	}
	if !opts.JetStream || opts.StoreDir != dataMount || !opts.SyncAlways {
		t.Errorf("jetstream = %v, store_dir = %q, sync always = %v; want true, the data volume %q, true", opts.JetStream, opts.StoreDir, opts.SyncAlways, dataMount)
	}
	for name, got := range map[string]int{"client": opts.Port, "cluster": opts.Cluster.Port, "monitor": opts.HTTPPort} {
		if want := c.portNumber(name); got != want || got == 0 {
			t.Errorf("nats.conf %s port %d, container port %q is %d", name, got, name, want)
		}
	}
	var hosts []string
	for i := range sts.Spec.Replicas {
		hosts = append(hosts, fmt.Sprintf("%s-%d.%s", sts.Metadata.Name, i, svc.Metadata.Name))
	}
	var routes []string
	for _, r := range opts.Routes {
		routes = append(routes, r.Hostname())
		if r.Port() != fmt.Sprint(opts.Cluster.Port) {
			t.Errorf("route %s: port is not the cluster port %d", r, opts.Cluster.Port)
		}
	}
	if !slices.Equal(routes, hosts) {
		t.Errorf("routes %v, want every pod of the StatefulSet %v", routes, hosts)
	}

	var servers []string
	for _, raw := range strings.Split(bridge.env("BRIDGE_NATS_URL"), ",") {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "nats" || u.Port() != fmt.Sprint(opts.Port) {
			t.Errorf("BRIDGE_NATS_URL entry %q: want nats://<pod>:%d", raw, opts.Port)
			continue
		}
		servers = append(servers, u.Hostname())
	}
	if !slices.Equal(servers, hosts) {
		t.Errorf("BRIDGE_NATS_URL names %v, want the NATS pods %v", servers, hosts)
	}
}
