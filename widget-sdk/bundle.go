// Package widgetsdk bundles the browser SDK (the TypeScript sources in src/)
// into the /sdk.js that the bridge serves, and serves it.
//
// The sources are embedded in the binary and bundled in-process with esbuild's
// Go API the first time they are needed: no generated files in git and no npm
// at build time. The result is minified ES2017 in one IIFE and is cached for
// the life of the process.
package widgetsdk

import (
	"embed"
	"fmt"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/popinbridge/bridge/internal/bundle"
)

// SizeBudget is the most the gzip -9 compressed bundle may weigh, in bytes.
// A test fails when the bundle grows past it.
const SizeBudget = 4096

//go:embed src/*.ts
var sources embed.FS

const (
	entry     = "src/index.ts"
	esmEntry  = "src/esm.ts" // the npm package's module (widget-sdk/npm)
	namespace = "widget-sdk"
	// mangle: the sources' internal properties end in "_"; esbuild
	// renames them (the size budget), never a wire or API name.
	mangle = "_$"
)

// Bundle returns the minified SDK. It is built on the first call and cached;
// every call returns a fresh copy that the caller may modify. An error means
// the embedded sources do not build, which is a programming error caught by
// this package's tests.
func Bundle() ([]byte, error) {
	js, err := cached()
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), js...), nil
}

// cached returns the shared bundle; callers must not modify it.
var cached = bundle.Cached("widgetsdk", bundle.Options{
	Sources:     sources,
	Entry:       entry,
	Outfile:     "sdk.js",
	Namespace:   namespace,
	Target:      api.ES2017,
	TreeShaking: api.TreeShakingTrue,
	MangleProps: mangle,
})

// ESM returns the npm package's ES module: init() and the PopinBridge calls
// as exports (src/esm.ts), minified ES2017 sharing the tag's code. Built on
// each call: only the packaging uses it.
func ESM() ([]byte, error) {
	js, err := bundle.Build(bundle.Options{
		Sources:     sources,
		Entry:       esmEntry,
		Outfile:     "index.mjs",
		Namespace:   namespace,
		Target:      api.ES2017,
		TreeShaking: api.TreeShakingTrue,
		Format:      api.FormatESModule,
		MangleProps: mangle,
	})
	if err != nil {
		return nil, fmt.Errorf("widgetsdk: %w", err)
	}
	return js, nil
}
