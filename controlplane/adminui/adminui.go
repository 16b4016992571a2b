// Package adminui serves the bridge's management UI at /admin/: a small
// single-page app over the management API (/api/v1), with no framework and
// no network access beyond the bridge itself.
//
// The TypeScript sources in src/ are embedded and bundled in-process with
// esbuild's Go API on the first request (no generated files in git, no npm);
// index.html and app.css are embedded as they are. The UI signs in with the
// admin token, kept in the tab's sessionStorage and sent as a Bearer token;
// the pages themselves carry no data and need no token.
package adminui

import (
	"embed"
	"net/http"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/popinbridge/bridge/internal/bundle"
)

//go:embed src/*.ts
var sources embed.FS

//go:embed static/index.html static/app.css
var static embed.FS

const entry = "src/main.ts"

var built = bundle.Cached("adminui", bundle.Options{
	Sources:   sources,
	Entry:     entry,
	Outfile:   "app.js",
	Namespace: "adminui",
	Target:    api.ES2020,
})

// Bundle returns the UI's JavaScript, built on first use and cached. An
// error means the embedded sources do not build (caught by this package's
// tests).
func Bundle() ([]byte, error) { return built() }

// Handler serves the UI under prefix (normally "/admin/"): index.html for
// the prefix itself, app.js and app.css beside it.
func Handler(prefix string) http.Handler {
	return bundle.Serve(prefix, "admin UI",
		"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
		map[string]bundle.Asset{
			"/":        bundle.File(static, "static/index.html", "text/html; charset=utf-8"),
			"/app.css": bundle.File(static, "static/app.css", "text/css; charset=utf-8"),
			"/app.js":  {Type: "text/javascript; charset=utf-8", Body: Bundle},
		})
}
