package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TSC returns the path of TypeScript's compiler: $BRIDGE_TSC, the copy
// scripts/deps.sh installs under $BRIDGE_TOOLS (default
// ~/.cache/bridge/tools), then PATH. Without one the test fails under
// CI=true and is skipped otherwise.
func TSC(t testing.TB) string {
	t.Helper()
	if p := tscPath(); p != "" {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("tsc not found (make deps installs it into ~/.cache/bridge/tools; or set BRIDGE_TSC); required under CI=true")
	}
	t.Skip("tsc not found; run make deps or set BRIDGE_TSC")
	return ""
}

func tscPath() string {
	if p := os.Getenv("BRIDGE_TSC"); p != "" {
		return p
	}
	tools := os.Getenv("BRIDGE_TOOLS")
	if tools == "" {
		if c, err := os.UserCacheDir(); err == nil {
			tools = filepath.Join(c, "bridge", "tools")
		}
	}
	if tools != "" {
		if p := filepath.Join(tools, "typescript", "node_modules", ".bin", "tsc"); fileExists(p) {
			return p
		}
	}
	if p, err := exec.LookPath("tsc"); err == nil {
		return p
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TypeCheck runs tsc --strict --noEmit over the TypeScript files matching
// glob (browser code: DOM libraries, ES modules, target such as "es2020")
// and fails the test on any error. esbuild only strips types, so this is
// where a type error in embedded sources is caught.
func TypeCheck(t testing.TB, glob, target string) {
	t.Helper()
	tsc := TSC(t)
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no TypeScript files match %s: %v", glob, err)
	}
	args := append([]string{"--noEmit", "--strict", "--target", target, "--module", "esnext",
		"--moduleResolution", "bundler", "--lib", "es2020,dom,dom.iterable"}, files...)
	if out, err := exec.Command(tsc, args...).CombinedOutput(); err != nil {
		t.Errorf("tsc --strict %s: %v\n%s", glob, err, out)
	}
}
