package buildinfo

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "feedface"}, {Key: "vcs.time", Value: "2026-12-01T00:00:00Z"},
	}}
	cases := []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  Info
	}{
		{"ldflags win", "v1.2.0", "abc123", "2026-12-06T10:00:00Z", vcs,
			Info{Version: "v1.2.0", Commit: "abc123", Date: "2026-12-06T10:00:00Z", Go: "go1.26.0"}},
		{"build info fills the rest", "dev", "", "", vcs,
			Info{Version: "dev", Commit: "feedface", Date: "2026-12-01T00:00:00Z", Go: "go1.26.0"}},
		{"go install module version", "dev", "", "", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.3.0"}},
			Info{Version: "v1.3.0", Commit: "unknown", Date: "unknown", Go: "go1.26.0"}},
		{"nothing known", "", "", "", &debug.BuildInfo{GoVersion: "go1.26.0"},
			Info{Version: "dev", Commit: "unknown", Date: "unknown", Go: "go1.26.0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := resolve(tc.version, tc.commit, tc.date, tc.bi); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	s := Info{Version: "v1.2.0", Commit: "abc123", Date: "2026-12-06T10:00:00Z", Go: "go1.26.0"}.String()
	if want := "bridge v1.2.0 (commit abc123, built 2026-12-06T10:00:00Z, go1.26.0)"; s != want {
		t.Fatalf("String() = %q, want %q", s, want)
	}
}

// TestLdflagsReachTheBinary builds the bridge command with the Makefile's
// -X flags and runs `bridge version`.
func TestLdflagsReachTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "bridge")
	pkg := "github.com/popinbridge/bridge/bridge/internal/buildinfo"
	ldflags := "-X " + pkg + ".Version=v9.8.7-test -X " + pkg + ".Commit=0123456789abcdef -X " + pkg + ".Date=2026-12-06T10:00:00Z"
	build := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, "github.com/popinbridge/bridge/bridge")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("bridge version: %v\n%s", err, out)
	}
	for _, want := range []string{"v9.8.7-test", "commit 0123456789abcdef", "built 2026-12-06T10:00:00Z", "go1."} {
		if !strings.Contains(string(out), want) {
			t.Errorf("bridge version printed %q, lacking %q", out, want)
		}
	}
}
