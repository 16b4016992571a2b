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
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/popinbridge/bridge/internal/bundle"
)

//go:embed src/*.ts
var sources embed.FS

//go:embed static/index.html static/app.css
var static embed.FS

const entry = "src/main.ts"

var (
	bundleOnce sync.Once
	bundleJS   []byte
	bundleErr  error
)

// Bundle returns the UI's JavaScript, built on first use and cached. An
// error means the embedded sources do not build (caught by this package's
// tests).
func Bundle() ([]byte, error) {
	bundleOnce.Do(func() { bundleJS, bundleErr = build() })
	return bundleJS, bundleErr
}

func build() ([]byte, error) {
	js, err := bundle.Build(bundle.Options{
		Sources:   sources,
		Entry:     entry,
		Outfile:   "app.js",
		Namespace: "adminui",
		Target:    api.ES2020,
	})
	if err != nil {
		return nil, fmt.Errorf("adminui: %w", err)
	}
	return js, nil
}

// Handler serves the UI under prefix (normally "/admin/"): index.html for
// the prefix itself, app.js and app.css beside it.
func Handler(prefix string) http.Handler {
	started := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(prefix, "/"))
		if name == "" {
			http.Redirect(w, r, prefix, http.StatusMovedPermanently)
			return
		}
		var (
			body  []byte
			ctype string
			err   error
		)
		switch name {
		case "/", "/index.html":
			body, err = static.ReadFile("static/index.html")
			ctype = "text/html; charset=utf-8"
		case "/app.css":
			body, err = static.ReadFile("static/app.css")
			ctype = "text/css; charset=utf-8"
		case "/app.js":
			body, err = Bundle()
			ctype = "text/javascript; charset=utf-8"
		default:
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.Error(w, "admin UI unavailable: "+err.Error(), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		sum := sha256.Sum256(body)
		h.Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
		http.ServeContent(w, r, name, started, bytes.NewReader(body))
	})
}
