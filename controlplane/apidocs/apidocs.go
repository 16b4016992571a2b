// Package apidocs serves the management API's reference at /api/v1/docs/:
// a page that renders the OpenAPI document (served beside it as
// openapi.json) with a small self-written TypeScript renderer, bundled
// in-process by esbuild's Go API like the admin UI. It works offline and
// needs no token: the document describes the API and holds no data.
package apidocs

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

//go:embed static/index.html static/docs.css
var static embed.FS

var (
	bundleOnce sync.Once
	bundleJS   []byte
	bundleErr  error
)

// Bundle returns the renderer's JavaScript, built on first use and cached.
func Bundle() ([]byte, error) {
	bundleOnce.Do(func() {
		bundleJS, bundleErr = bundle.Build(bundle.Options{Sources: sources, Entry: "src/main.ts", Outfile: "docs.js", Namespace: "apidocs", Target: api.ES2020})
		if bundleErr != nil {
			bundleErr = fmt.Errorf("apidocs: %w", bundleErr)
		}
	})
	return bundleJS, bundleErr
}

// Handler serves the reference under prefix ("/api/v1/docs/"): the page,
// docs.js, docs.css and the OpenAPI document spec.
func Handler(prefix string, spec []byte) http.Handler {
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
		case "/docs.css":
			body, err = static.ReadFile("static/docs.css")
			ctype = "text/css; charset=utf-8"
		case "/docs.js":
			body, err = Bundle()
			ctype = "text/javascript; charset=utf-8"
		case "/openapi.json":
			body, ctype = spec, "application/json"
		default:
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.Error(w, "API reference unavailable: "+err.Error(), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		sum := sha256.Sum256(body)
		h.Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
		http.ServeContent(w, r, name, started, bytes.NewReader(body))
	})
}
