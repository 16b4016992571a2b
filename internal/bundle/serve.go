package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// Asset is one file of a small embedded web app: its Content-Type and how
// to get its bytes (an error answers 500).
type Asset struct {
	Type string
	Body func() ([]byte, error)
}

// Serve serves assets (keyed by path below prefix, e.g. "/app.js"; "/" is
// the page, also served as "/index.html") under prefix, GET and HEAD only,
// with the Content-Security-Policy csp, no-referrer, nosniff, ETags and
// no-cache. name says what is unavailable when an asset fails to build.
func Serve(prefix, name, csp string, assets map[string]Asset) http.Handler {
	started := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		path := strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(prefix, "/"))
		if path == "" {
			http.Redirect(w, r, prefix, http.StatusMovedPermanently)
			return
		}
		if path == "/index.html" {
			path = "/"
		}
		a, ok := assets[path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		body, err := a.Body()
		if err != nil {
			http.Error(w, name+" unavailable: "+err.Error(), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.Type)
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		sum := sha256.Sum256(body)
		h.Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
		http.ServeContent(w, r, path, started, bytes.NewReader(body))
	})
}

// File is an Asset read from an embedded file system.
func File(fsys interface{ ReadFile(string) ([]byte, error) }, name, ctype string) Asset {
	return Asset{Type: ctype, Body: func() ([]byte, error) { return fsys.ReadFile(name) }}
}
