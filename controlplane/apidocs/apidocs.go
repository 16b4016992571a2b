// Package apidocs serves the management API's reference at /api/v1/docs/:
// a page that renders the OpenAPI document (served beside it as
// openapi.json) with a small self-written TypeScript renderer, bundled
// in-process by esbuild's Go API like the admin UI. It works offline and
// needs no token: the document describes the API and holds no data.
package apidocs

import (
	"embed"
	"net/http"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/popinbridge/bridge/internal/bundle"
)

//go:embed src/*.ts
var sources embed.FS

//go:embed static/index.html static/docs.css
var static embed.FS

var built = bundle.Cached("apidocs", bundle.Options{Sources: sources, Entry: "src/main.ts", Outfile: "docs.js", Namespace: "apidocs", Target: api.ES2020})

// Bundle returns the renderer's JavaScript, built on first use and cached.
func Bundle() ([]byte, error) { return built() }

// Handler serves the reference under prefix ("/api/v1/docs/"): the page,
// docs.js, docs.css and the OpenAPI document spec.
func Handler(prefix string, spec []byte) http.Handler {
	return bundle.Serve(prefix, "API reference",
		"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
		map[string]bundle.Asset{
			"/":             bundle.File(static, "static/index.html", "text/html; charset=utf-8"),
			"/docs.css":     bundle.File(static, "static/docs.css", "text/css; charset=utf-8"),
			"/docs.js":      {Type: "text/javascript; charset=utf-8", Body: Bundle},
			"/openapi.json": {Type: "application/json", Body: func() ([]byte, error) { return spec, nil }},
		})
}
