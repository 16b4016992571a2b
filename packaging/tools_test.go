package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// needTool returns the path of name; a missing tool skips the test, or fails
// it under CI=true (scripts/deps.sh installs every tool used here).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name+" is not installed (scripts/deps.sh installs it)")
	}
	return p
}

// needRoot is for chroot.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "chroot needs root")
	}
}

func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// repoRoot is the module root (the parent of this package's directory).
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Dir(filepath.Dir(file))
}
