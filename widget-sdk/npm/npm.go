// Package npm builds @popinbridge/sdk, the browser SDK as an npm package for
// apps that bundle their code: the ES module (src/esm.ts, init() and the
// PopinBridge calls), the same IIFE the bridge serves as /sdk.js, and
// TypeScript declarations — index.d.ts written here by hand, events.d.ts
// generated from schemas/ so the payload types cannot drift.
//
// Nothing it writes is kept in git: `make sdk-package` (go run
// ./widget-sdk/cmd/sdkpack) writes the package to widget-sdk/dist/npm and
// packs it with `npm pack`.
package npm

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	widgetsdk "github.com/popinbridge/bridge/widget-sdk"
)

//go:embed package.json index.d.ts README.md
var files embed.FS

var (
	semver      = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)
	versionLine = regexp.MustCompile(`"version": "[^"]*"`)
)

// Write writes the package's files into dir, creating it: package.json
// (with version when it is not ""; it must be semver), index.mjs, sdk.js,
// index.d.ts, events.d.ts and README.md.
func Write(dir, version string) error {
	if version != "" && !semver.MatchString(version) {
		return fmt.Errorf("npm: version %q is not semver (1.2.3 or 1.2.3-rc.1)", version)
	}
	out := map[string][]byte{}
	for _, name := range []string{"package.json", "index.d.ts", "README.md"} {
		b, err := files.ReadFile(name)
		if err != nil {
			return fmt.Errorf("npm: %w", err)
		}
		out[name] = b
	}
	if version != "" {
		out["package.json"] = versionLine.ReplaceAll(out["package.json"], []byte(`"version": "`+version+`"`))
	}
	var err error
	if out["index.mjs"], err = widgetsdk.ESM(); err != nil {
		return fmt.Errorf("npm: %w", err)
	}
	if out["sdk.js"], err = widgetsdk.Bundle(); err != nil {
		return fmt.Errorf("npm: %w", err)
	}
	if out["events.d.ts"], err = Events(); err != nil {
		return fmt.Errorf("npm: events.d.ts: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("npm: %w", err)
	}
	for name, b := range out {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("npm: %w", err)
		}
	}
	return nil
}
