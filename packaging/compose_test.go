package packaging

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"gopkg.in/yaml.v3"
)

type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Ports       []struct {
			Target int `yaml:"target"`
		} `yaml:"ports"`
	} `yaml:"services"`
}

// composeConfig runs `docker-compose config` (Debian's docker-compose 1.29,
// which validates against the Compose schema without a daemon) on
// compose.yaml with env added to the environment.
func composeConfig(t *testing.T, env ...string) ([]byte, error) {
	t.Helper()
	dc := needTool(t, "docker-compose")
	root := repoRoot(t)
	cmd := exec.Command(dc, "--project-directory", root, "-f", filepath.Join(root, "compose.yaml"), "config")
	cmd.Env = append(os.Environ(), env...)
	return cmd.CombinedOutput()
}

// TestComposeFile validates compose.yaml with a real compose parser and checks
// its layout: bridge, ClickHouse and three NATS servers of one cluster.
func TestComposeFile(t *testing.T) {
	// Positive control: the parser refuses the file without the required secrets.
	if out, err := composeConfig(t, "BRIDGE_ADMIN_TOKEN=", "BRIDGE_MASTER_KEY="); err == nil || !strings.Contains(string(out), "BRIDGE_ADMIN_TOKEN") {
		t.Fatalf("docker-compose config accepted compose.yaml without BRIDGE_ADMIN_TOKEN: %v\n%s", err, out)
	}
	env := composeEnv(t)
	out, err := composeConfig(t, env...)
	if err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, out)
	}
	var cf composeFile
	if err := yaml.Unmarshal(out, &cf); err != nil {
		t.Fatalf("docker-compose config output: %v\n%s", err, out)
	}
	for _, name := range []string{"bridge", "clickhouse", "nats-1", "nats-2", "nats-3"} {
		if _, ok := cf.Services[name]; !ok {
			t.Errorf("service %s missing", name)
		}
	}
	for _, name := range []string{"nats-1", "nats-2", "nats-3"} {
		s := cf.Services[name]
		if s.Environment["NATS_SERVER_NAME"] != name {
			t.Errorf("%s: NATS_SERVER_NAME = %q", name, s.Environment["NATS_SERVER_NAME"])
		}
		if !hasSuffixIn(s.Volumes, "packaging/nats.conf:/etc/nats/nats.conf:ro") || !hasSuffixIn(s.Volumes, ":/data:rw") {
			t.Errorf("%s: volumes %v lack nats.conf or /data", name, s.Volumes)
		}
	}
	b := cf.Services["bridge"]
	if len(b.Ports) != 1 || b.Ports[0].Target != 8080 {
		t.Errorf("bridge ports = %+v, want the image's 8080", b.Ports)
	}
	if !hasSuffixIn(b.Volumes, ":/var/lib/bridge:rw") {
		t.Errorf("bridge volumes %v lack /var/lib/bridge", b.Volumes)
	}
	if got := b.Environment["BRIDGE_NATS_URL"]; strings.Count(got, "nats://") != 3 {
		t.Errorf("BRIDGE_NATS_URL = %q, want the three servers", got)
	}
	t.Run("bridge configuration", func(t *testing.T) { checkComposeBridgeConfig(t, b.Environment) })
}

// checkComposeBridgeConfig runs `bridge check-config` from the image's file
// system with the environment compose gives the bridge service.
func checkComposeBridgeConfig(t *testing.T, env map[string]string) {
	img := theImage(t)
	cmd := exec.Command("chroot", "--userspec="+img.config.User, img.rootfs, "/usr/local/bin/bridge", "check-config")
	cmd.Env = append([]string{}, img.config.Env...)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "configuration ok") {
		t.Errorf("bridge check-config with compose's environment: %v\n%s", err, out)
	}
}

// TestNATSConf loads packaging/nats.conf with the NATS server's own parser, as
// each compose NATS container does.
func TestNATSConf(t *testing.T) {
	t.Setenv("NATS_SERVER_NAME", "nats-2")
	opts, err := server.ProcessConfigFile(filepath.Join(repoRoot(t), "packaging", "nats.conf"))
	if err != nil {
		t.Fatalf("nats.conf: %v", err)
	}
	if opts.ServerName != "nats-2" {
		t.Errorf("server_name = %q, want it from NATS_SERVER_NAME", opts.ServerName)
	}
	if !opts.JetStream || opts.StoreDir != "/data" || !opts.SyncAlways {
		t.Errorf("jetstream = %v, store_dir = %q, sync always = %v; want true, /data, true", opts.JetStream, opts.StoreDir, opts.SyncAlways)
	}
	if opts.Cluster.Name != "bridge" || opts.Cluster.Port != 6222 || len(opts.Routes) != 3 {
		t.Errorf("cluster %q port %d with %d routes; want bridge, 6222, 3", opts.Cluster.Name, opts.Cluster.Port, len(opts.Routes))
	}
	if opts.Port != 4222 {
		t.Errorf("client port %d, want 4222", opts.Port)
	}
}

func composeEnv(t *testing.T) []string {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return []string{"BRIDGE_ADMIN_TOKEN=packaging-test-admin-token", "BRIDGE_MASTER_KEY=" + base64.StdEncoding.EncodeToString(key)}
}

func hasSuffixIn(list []string, suffix string) bool {
	for _, v := range list {
		if strings.HasSuffix(v, suffix) {
			return true
		}
	}
	return false
}
