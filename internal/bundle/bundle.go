// Package bundle builds embedded TypeScript into one minified browser script
// with esbuild's Go API, in-process: no npm, no disk, no generated files.
package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// Options says what to build. Sources holds every file the build may read;
// imports must be relative ("./util" is util.ts beside the importer).
type Options struct {
	Sources   fs.FS
	Entry     string // path in Sources, e.g. "src/index.ts"
	Outfile   string // the output's name as esbuild sees it, e.g. "sdk.js"
	Namespace string // esbuild namespace of the embedded files
	Target    api.Target
	// TreeShaking is esbuild's setting; the zero value is its default.
	TreeShaking api.TreeShaking
	// Format is the output format; the zero value means one IIFE. An ES
	// module (api.FormatESModule) keeps the entry's exports.
	Format api.Format
	// MangleProps is a regular expression: properties whose names match
	// are renamed to short names (esbuild's mangle-props; quoted keys are
	// left alone). "" renames none.
	MangleProps string
}

// Build bundles o.Entry and everything it imports into one minified IIFE, or
// the Format asked for (whitespace, identifiers and syntax minified, no legal comments, UTF-8
// output). Errors name each esbuild message as file:line:col: text.
func Build(o Options) ([]byte, error) {
	format := o.Format
	if format == api.FormatDefault {
		format = api.FormatIIFE
	}
	res := api.Build(api.BuildOptions{
		EntryPoints:       []string{o.Entry},
		Bundle:            true,
		Write:             false,
		Outfile:           o.Outfile,
		Format:            format,
		Platform:          api.PlatformBrowser,
		Target:            o.Target,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		TreeShaking:       o.TreeShaking,
		MangleProps:       o.MangleProps,
		LegalComments:     api.LegalCommentsNone,
		Charset:           api.CharsetUTF8,
		LogLevel:          api.LogLevelSilent,
		Plugins:           []api.Plugin{embedPlugin(o.Sources, o.Namespace)},
	})
	if len(res.Errors) > 0 {
		errs := make([]error, 0, len(res.Errors))
		for _, m := range res.Errors {
			errs = append(errs, messageError(m))
		}
		return nil, fmt.Errorf("bundling %s: %w", o.Entry, errors.Join(errs...))
	}
	if len(res.OutputFiles) != 1 {
		return nil, fmt.Errorf("bundling %s: got %d output files, want 1", o.Entry, len(res.OutputFiles))
	}
	return res.OutputFiles[0].Contents, nil
}

func messageError(m api.Message) error {
	if m.Location == nil {
		return errors.New(m.Text)
	}
	return fmt.Errorf("%s:%d:%d: %s", m.Location.File, m.Location.Line, m.Location.Column, m.Text)
}

// embedPlugin resolves every import to a file of src ("./util" from
// "src/index.ts" is "src/util.ts") and loads it from there, so esbuild never
// reads the disk.
func embedPlugin(src fs.FS, namespace string) api.Plugin {
	return api.Plugin{
		Name: "embed",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: ".*"}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
				p := a.Path
				if a.Kind != api.ResolveEntryPoint {
					if !strings.HasPrefix(p, "./") && !strings.HasPrefix(p, "../") {
						return api.OnResolveResult{}, fmt.Errorf("import %q: only relative imports of the embedded sources are allowed", p)
					}
					p = path.Join(path.Dir(a.Importer), p)
				}
				// esbuild adds "./" to an entry point that happens to exist on
				// disk relative to the working directory; fs.FS wants clean paths.
				p = path.Clean(p)
				if path.Ext(p) == "" {
					p += ".ts"
				}
				return api.OnResolveResult{Path: p, Namespace: namespace}, nil
			})
			b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: namespace}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
				b, err := fs.ReadFile(src, a.Path)
				if err != nil {
					return api.OnLoadResult{}, fmt.Errorf("load %s: %w", a.Path, err)
				}
				s := string(b)
				return api.OnLoadResult{Contents: &s, Loader: api.LoaderTS}, nil
			})
		},
	}
}
