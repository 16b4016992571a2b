package packaging

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/popinbridge/bridge/internal/testkit"
)

// TestKubernetesBridgeServes runs bridge as the Deployment's pod does — the
// image's entrypoint with the container's args, the ConfigMap's bridge.yaml
// where the image reads its configuration, the container's environment with
// the Secrets filled in — except that it listens on loopback ports, NATS is
// embedded and ClickHouse unreachable. Every probe answers 200 on the port it
// names; the ConfigMap's default ports are the container's and the public
// one is bridge's default; the admin routes are served on the admin port
// only; on SIGTERM /readyz turns 503 while /healthz stays 200.
func TestKubernetesBridgeServes(t *testing.T) {
	objs := k8sManifests(t)
	dep := k8sMust(t, objs, "Deployment", "bridge")
	c := dep.Spec.Template.Spec.Containers[0]
	root := repoRoot(t)

	// The ConfigMap is mounted where the image reads its configuration.
	entry, imageEnv := dockerfileRuntime(t, filepath.Join(root, "Dockerfile"))
	var mount string
	for _, m := range c.VolumeMounts {
		if m.Name == "config" {
			mount = m.MountPath
		}
	}
	cmName := ""
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.Name == "config" && v.ConfigMap != nil {
			cmName = v.ConfigMap.Name
		}
	}
	cm := k8sMust(t, objs, "ConfigMap", cmName)
	conf, ok := cm.Data[path.Base(imageEnv["BRIDGE_CONFIG"])]
	if !ok || path.Dir(imageEnv["BRIDGE_CONFIG"]) != mount {
		t.Fatalf("the image reads %s; the ConfigMap %s is mounted at %s with keys %v", imageEnv["BRIDGE_CONFIG"], cmName, mount, keys(cm.Data))
	}

	bin := buildBridge(t)
	// Ports: the ConfigMap's defaults are the container's ports, and the
	// public one is bridge's own default.
	out, err := exec.Command(bin, "check-config", "--print-defaults").Output()
	if err != nil {
		t.Fatal(err)
	}
	var defaults struct{ Listen string }
	if err := yaml.Unmarshal(out, &defaults); err != nil {
		t.Fatal(err)
	}
	for key, port := range map[string]string{"listen": "http", "admin_listen": "admin"} {
		m := regexp.MustCompile(`(?m)^` + key + `: "\$\{[A-Z_]+:-([^}]*)\}"`).FindStringSubmatch(conf)
		if m == nil {
			t.Errorf("bridge.yaml: %s is not \"${VAR:-default}\"", key)
			continue
		}
		if _, p, _ := net.SplitHostPort(m[1]); p != portString(c.portNumber(port)) {
			t.Errorf("bridge.yaml %s defaults to %s; the container's %s port is %d", key, m[1], port, c.portNumber(port))
		}
	}
	if _, p, _ := net.SplitHostPort(defaults.Listen); p != portString(c.portNumber("http")) {
		t.Errorf("bridge's default listen %s; the container's http port is %d", defaults.Listen, c.portNumber("http"))
	}

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "bridge.yaml")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	public, admin := freeAddr(t), freeAddr(t)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "BRIDGE_CONFIG=" + cfgPath,
		"BRIDGE_LISTEN=" + public, "BRIDGE_ADMIN_LISTEN=" + admin, "BRIDGE_DATA_DIR=" + filepath.Join(dir, "data"),
		"BRIDGE_CLICKHOUSE_ADDR=" + freeAddr(t)}
	for _, e := range c.Env {
		switch {
		case e.Name == "BRIDGE_NATS_URL" || e.Name == "BRIDGE_CLICKHOUSE_ADDR":
			// Embedded NATS; a closed ClickHouse port (set above).
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			env = append(env, e.Name+"="+secretValue(t, e.ValueFrom.SecretKeyRef.Key))
		default:
			env = append(env, e.Name+"="+e.Value)
		}
	}
	cmd := exec.Command(bin, append(entry[1:], c.Args...)...)
	cmd.Env = env
	var logs testkit.LockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })

	addrOf := map[string]string{"http": public, "admin": admin}
	for kind, p := range c.probes() {
		name, _ := p.HTTPGet.Port.(string)
		addr, ok := addrOf[name]
		if !ok {
			t.Errorf("%s probe: port %v is neither the http nor the admin port", kind, p.HTTPGet.Port)
			continue
		}
		if err := waitHealthy("http://"+addr+p.HTTPGet.Path, done, 60*time.Second); err != nil {
			t.Fatalf("%s probe GET %s on the %s port: %v\n%s", kind, p.HTTPGet.Path, name, err, logs.String())
		}
	}
	for _, tt := range []struct {
		addr string
		want int
	}{{admin, http.StatusOK}, {public, http.StatusNotFound}} {
		if got := status(t, "http://"+tt.addr+"/metrics"); got != tt.want {
			t.Errorf("GET /metrics on %s: %d, want %d", tt.addr, got, tt.want)
		}
	}

	// SIGTERM: out of rotation first (--shutdown-delay), still alive.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if got := status(t, "http://"+public+"/readyz"); got != http.StatusServiceUnavailable {
			return &statusError{"/readyz", got}
		}
		if got := status(t, "http://"+public+"/healthz"); got != http.StatusOK {
			t.Fatalf("/healthz during the shutdown delay: %d, want 200", got)
		}
		return nil
	})
	select {
	case err := <-done:
		done <- err
		if err != nil {
			t.Errorf("bridge serve after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(time.Duration(dep.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second):
		t.Errorf("bridge serve still running after terminationGracePeriodSeconds\n%s", logs.String())
	}
}

type statusError struct {
	path string
	code int
}

func (e *statusError) Error() string { return e.path + " answered " + http.StatusText(e.code) }

func status(t *testing.T, url string) int {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// secretValue is a valid value for each key of bridge-secrets.
func secretValue(t *testing.T, key string) string {
	if key != "master-key" {
		return "kubernetes-test-" + key + "-0123456789"
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// dockerfileRuntime returns the final stage's ENTRYPOINT and ENV.
func dockerfileRuntime(t *testing.T, file string) ([]string, map[string]string) {
	t.Helper()
	env := map[string]string{}
	var entry []string
	for _, line := range finalStage(t, file) {
		switch {
		case strings.HasPrefix(line, "ENTRYPOINT "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "ENTRYPOINT ")), &entry); err != nil {
				t.Fatalf("Dockerfile ENTRYPOINT: %v", err)
			}
		case strings.HasPrefix(line, "ENV "):
			k, v, _ := strings.Cut(strings.TrimPrefix(line, "ENV "), "=")
			env[k] = v
		}
	}
	if len(entry) == 0 {
		t.Fatal("Dockerfile: no ENTRYPOINT in the final stage")
	}
	return entry, env
}

// buildBridge builds the bridge binary into a temporary directory.
func buildBridge(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bridge")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "./bridge")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./bridge: %v\n%s", err, out)
	}
	return bin
}

func portString(p int) string {
	if p == 0 {
		return "none"
	}
	return strconv.Itoa(p)
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
