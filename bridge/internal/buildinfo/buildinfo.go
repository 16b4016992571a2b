// Package buildinfo says which build of bridge is running: the version,
// commit and build date stamped by the Makefile with -ldflags
//
//	-X github.com/popinbridge/bridge/bridge/internal/buildinfo.Version=…
//	-X github.com/popinbridge/bridge/bridge/internal/buildinfo.Commit=…
//	-X github.com/popinbridge/bridge/bridge/internal/buildinfo.Date=…
//
// and, for what a build without ldflags left empty, the Go toolchain's own
// build information (vcs.revision, vcs.time; the module
// version of `go install …@vX`). Version stays "dev" when neither knows.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at build time with -ldflags "-X"; empty (Version "dev") otherwise.
var (
	Version = "dev"
	Commit  = ""
	Date    = ""
)

// Info describes one build.
type Info struct {
	Version string // release tag or `git describe` output; "dev" if unknown
	Commit  string // full commit hash; "unknown" if unknown
	Date    string // build (or, from build info, commit) time, RFC 3339; "unknown" if unknown
	Go      string // toolchain version, e.g. go1.26.0
}

// Get returns the running build's Info.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(Version, Commit, Date, bi)
}

// resolve prefers the ldflags values and fills what they left empty from bi
// (which may be nil).
func resolve(version, commit, date string, bi *debug.BuildInfo) Info {
	in := Info{Version: version, Commit: commit, Date: date, Go: runtime.Version()}
	if bi != nil {
		if bi.GoVersion != "" {
			in.Go = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if in.Commit == "" {
					in.Commit = s.Value
				}
			case "vcs.time":
				if in.Date == "" {
					in.Date = s.Value
				}
			}
		}
		if v := bi.Main.Version; (in.Version == "" || in.Version == "dev") && v != "" && v != "(devel)" {
			in.Version = v
		}
	}
	if in.Version == "" {
		in.Version = "dev"
	}
	if in.Commit == "" {
		in.Commit = "unknown"
	}
	if in.Date == "" {
		in.Date = "unknown"
	}
	return in
}

// String is the `bridge version` line:
//
//	bridge v1.2.0 (commit 0123abcd…, built 2026-12-06T10:00:00Z, go1.26.0)
func (i Info) String() string {
	return fmt.Sprintf("bridge %s (commit %s, built %s, %s)", i.Version, i.Commit, i.Date, i.Go)
}
