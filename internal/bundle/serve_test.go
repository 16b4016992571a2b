package bundle

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestServe(t *testing.T) {
	h := Serve("/ui/", "the UI", "default-src 'none'", map[string]Asset{
		"/":       {Type: "text/html", Body: func() ([]byte, error) { return []byte("<p>page"), nil }},
		"/app.js": {Type: "text/javascript", Body: func() ([]byte, error) { return nil, errors.New("does not build") }},
	})
	for _, c := range []struct {
		method, path string
		status       int
		ctype, body  string
	}{
		{"GET", "/ui/", 200, "text/html", "<p>page"},
		{"GET", "/ui/index.html", 200, "text/html", "<p>page"},
		{"HEAD", "/ui/", 200, "text/html", ""},
		{"GET", "/ui", http.StatusMovedPermanently, "", ""},
		{"GET", "/ui/nope.js", 404, "", ""},
		{"POST", "/ui/", http.StatusMethodNotAllowed, "", ""},
		{"GET", "/ui/app.js", 500, "", "the UI unavailable: does not build\n"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.path, rec.Code, c.status)
			continue
		}
		if c.ctype != "" && rec.Header().Get("Content-Type") != c.ctype {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, rec.Header().Get("Content-Type"))
		}
		if c.status == 200 && (rec.Header().Get("Content-Security-Policy") != "default-src 'none'" || rec.Header().Get("ETag") == "") {
			t.Errorf("%s %s: headers %v", c.method, c.path, rec.Header())
		}
		if c.body != "" && rec.Body.String() != c.body {
			t.Errorf("%s %s: body %q, want %q", c.method, c.path, rec.Body.String(), c.body)
		}
	}
}
