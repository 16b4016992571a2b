package capi

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// sdkVersion is the Meta Node SDK whose ServerSideUtils.normalizeAndHash is
// the oracle: ≤ v25.0.1 returns plain SHA-256 hex (later versions append a
// param-builder suffix).
const sdkVersion = "24.0.1"

// nodeSDK installs facebook-nodejs-business-sdk into a cache directory
// (once) and returns the directory. Without node or npm the test is skipped,
// or fails under CI=true.
func nodeSDK(t *testing.T) string {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		node = "/usr/bin/node"
	}
	if _, err := os.Stat(node); err != nil {
		fail("node not found: %v", err)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "bridge-test", "fbsdk-"+sdkVersion)
	pkg := filepath.Join(dir, "node_modules", "facebook-nodejs-business-sdk", "package.json")
	if _, err := os.Stat(pkg); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fail("mkdir: %v", err)
		}
		cmd := exec.Command("npm", "install", "--no-audit", "--no-fund", "--prefix", dir, "facebook-nodejs-business-sdk@"+sdkVersion)
		if out, err := cmd.CombinedOutput(); err != nil {
			fail("npm install facebook-nodejs-business-sdk@%s: %v\n%s", sdkVersion, err, out)
		}
	}
	return dir
}

type oracleCase struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// sdkHashes runs the SDK over cases and returns its answers in order.
func sdkHashes(t *testing.T, cases []oracleCase) []string {
	t.Helper()
	dir := nodeSDK(t)
	script, _ := filepath.Abs("testdata/hash.js")
	in, _ := json.Marshal(cases)
	cmd := exec.Command("node", script)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var res []string
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(cases) {
		t.Fatalf("node output %q: %v", out, err)
	}
	return res
}
