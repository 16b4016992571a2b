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
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/evanw/esbuild/pkg/api"
)

// SizeBudget is the most the gzip -9 compressed bundle may weigh, in bytes.
// A test fails when the bundle grows past it.
const SizeBudget = 4096

//go:embed src/*.ts
var sources embed.FS

const (
	entry     = "src/index.ts"
	namespace = "widget-sdk"
)

var (
	bundleOnce sync.Once
	bundleJS   []byte
	bundleErr  error
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
func cached() ([]byte, error) {
	bundleOnce.Do(func() { bundleJS, bundleErr = build() })
	return bundleJS, bundleErr
}

func build() ([]byte, error) {
	res := api.Build(api.BuildOptions{
		EntryPoints:       []string{entry},
		Bundle:            true,
		Write:             false,
		Outfile:           "sdk.js",
		Format:            api.FormatIIFE,
		Platform:          api.PlatformBrowser,
		Target:            api.ES2017,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		TreeShaking:       api.TreeShakingTrue,
		LegalComments:     api.LegalCommentsNone,
		Charset:           api.CharsetUTF8,
		LogLevel:          api.LogLevelSilent,
		Plugins:           []api.Plugin{embedPlugin()},
	})
	if len(res.Errors) > 0 {
		errs := make([]error, 0, len(res.Errors))
		for _, m := range res.Errors {
			errs = append(errs, buildError(m))
		}
		return nil, fmt.Errorf("widgetsdk: bundling %s: %w", entry, errors.Join(errs...))
	}
	if len(res.OutputFiles) != 1 {
		return nil, fmt.Errorf("widgetsdk: bundling %s: got %d output files, want 1", entry, len(res.OutputFiles))
	}
	return res.OutputFiles[0].Contents, nil
}

func buildError(m api.Message) error {
	if m.Location == nil {
		return errors.New(m.Text)
	}
	return fmt.Errorf("%s:%d:%d: %s", m.Location.File, m.Location.Line, m.Location.Column, m.Text)
}

// embedPlugin resolves every import to a file of the embedded src/ directory
// ("./util" → "src/util.ts") and loads it from there, so esbuild never reads
// the disk.
func embedPlugin() api.Plugin {
	return api.Plugin{
		Name: "embed",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: ".*"}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
				p := a.Path
				if a.Kind != api.ResolveEntryPoint {
					if !strings.HasPrefix(p, "./") && !strings.HasPrefix(p, "../") {
						return api.OnResolveResult{}, fmt.Errorf("import %q: the SDK has no dependencies; only relative imports are allowed", p)
					}
					p = path.Join(path.Dir(a.Importer), p)
				}
				// esbuild adds "./" to an entry point that happens to exist on
				// disk relative to the working directory; the embed FS wants
				// clean paths.
				p = path.Clean(p)
				if path.Ext(p) == "" {
					p += ".ts"
				}
				return api.OnResolveResult{Path: p, Namespace: namespace}, nil
			})
			b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: namespace}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
				src, err := sources.ReadFile(a.Path)
				if err != nil {
					return api.OnLoadResult{}, fmt.Errorf("load %s: %w", a.Path, err)
				}
				s := string(src)
				return api.OnLoadResult{Contents: &s, Loader: api.LoaderTS}, nil
			})
		},
	}
}
