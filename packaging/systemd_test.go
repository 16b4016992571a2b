package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// unitWithFakeBinary writes packaging/bridge.service (plus extra lines) into
// a temporary directory, its binary path pointing at an executable that exists.
func unitWithFakeBinary(t *testing.T, extra string) string {
	t.Helper()
	unit, err := os.ReadFile(filepath.Join(repoRoot(t), "packaging", "bridge.service"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bridge")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "/usr/local/bin/bridge serve") {
		t.Fatal("bridge.service does not run /usr/local/bin/bridge serve")
	}
	path := filepath.Join(dir, "bridge.service")
	body := strings.ReplaceAll(string(unit), "/usr/local/bin/bridge", bin) + extra
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSystemdUnitVerifies runs `systemd-analyze verify`, which reports
// unknown keys and bad values as warnings with exit status 0: any output fails.
func TestSystemdUnitVerifies(t *testing.T) {
	sa := needTool(t, "systemd-analyze")
	verify := func(path string) (string, error) {
		out, err := exec.Command(sa, "verify", "--man=no", path).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	// Positive control: a unit with an unknown key is reported.
	if out, _ := verify(unitWithFakeBinary(t, "\n[Service]\nNoSuchDirective=1\n")); !strings.Contains(out, "NoSuchDirective") {
		t.Fatalf("systemd-analyze verify did not report an unknown key: %q", out)
	}
	if out, err := verify(unitWithFakeBinary(t, "")); err != nil || out != "" {
		t.Errorf("systemd-analyze verify bridge.service: %v\n%s", err, out)
	}
}

var exposure = regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`)

// TestSystemdUnitHardened scores the unit with `systemd-analyze security`
// (0 = fully locked down, 10 = unprotected); the unit must stay "OK" (≤ 2).
func TestSystemdUnitHardened(t *testing.T) {
	sa := needTool(t, "systemd-analyze")
	out, err := exec.Command(sa, "security", "--offline=true", "--no-pager", unitWithFakeBinary(t, "")).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := exposure.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	score, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	if score > 2.0 {
		t.Errorf("exposure %.1f > 2.0:\n%s", score, out)
	}
	t.Logf("systemd-analyze security: exposure %.1f", score)
}
