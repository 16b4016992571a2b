package widgetsdk

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// CacheControl is the Cache-Control of /sdk.js. The URL carries no version,
// so browsers keep it a short while and then revalidate with the ETag; a
// stale copy may be used while that happens.
const CacheControl = "public, max-age=300, stale-while-revalidate=86400"

// asset is the bundle prepared for serving.
type asset struct {
	raw, gz []byte
	etag    string
}

var (
	assetOnce sync.Once
	assetVal  *asset
	assetErr  error
)

func load() (*asset, error) {
	assetOnce.Do(func() {
		js, err := cached()
		if err != nil {
			assetErr = err
			return
		}
		gz, err := gzip9(js)
		if err != nil {
			assetErr = err
			return
		}
		sum := sha256.Sum256(js)
		// Weak: the gzip and identity encodings are the same resource.
		assetVal = &asset{raw: js, gz: gz, etag: `W/"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
	})
	return assetVal, assetErr
}

func gzip9(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Handler serves the bundle on GET and HEAD, wherever it is mounted (the
// bridge mounts it at /sdk.js): Content-Type application/javascript, a weak
// ETag with If-None-Match → 304, gzip when the client accepts it, and
// Cache-Control as in [CacheControl]. Other methods get 405. If the bundle
// cannot be built the answer is 500.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	a, err := load()
	if err != nil {
		http.Error(w, "sdk unavailable", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/javascript; charset=utf-8")
	h.Set("Cache-Control", CacheControl)
	h.Set("ETag", a.etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	// Sites that set Cross-Origin-Embedder-Policy can still load the tag.
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if etagMatch(r.Header.Get("If-None-Match"), a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.raw
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// etagMatch applies If-None-Match's weak comparison: "*" or any listed tag
// equal to etag once W/ prefixes are ignored.
func etagMatch(header, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether Accept-Encoding lists gzip (or *) with a
// non-zero quality.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "x-gzip" && name != "*" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		if q > 0 {
			return true
		}
	}
	return false
}
