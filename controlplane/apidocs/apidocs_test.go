package apidocs

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	spec := []byte(`{"openapi":"3.0.3"}`)
	srv := httptest.NewServer(Handler("/api/v1/docs/", spec))
	defer srv.Close()
	for _, c := range []struct {
		path, ctype, body string
		status            int
	}{
		{"/api/v1/docs/", "text/html", "docs.js", 200},
		{"/api/v1/docs/docs.js", "text/javascript", "openapi.json", 200},
		{"/api/v1/docs/docs.css", "text/css", "", 200},
		{"/api/v1/docs/openapi.json", "application/json", `"3.0.3"`, 200},
		{"/api/v1/docs/nope", "", "", 404},
	} {
		resp, err := http.Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype) || !strings.Contains(string(b), c.body) {
			t.Errorf("%s: %d %s", c.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if c.status == 200 && resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: no CSP", c.path)
		}
	}
}
