package adminui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestBundleBuilds(t *testing.T) {
	js, err := Bundle()
	if err != nil {
		t.Fatal(err)
	}
	if len(js) < 1000 || !strings.Contains(string(js), "/api/v1") {
		t.Fatalf("bundle looks wrong (%d bytes)", len(js))
	}
}

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(http.StripPrefix("", Handler("/admin/")))
	defer srv.Close()
	for _, c := range []struct {
		path, ctype string
		status      int
	}{
		{"/admin/", "text/html", 200}, {"/admin/app.js", "text/javascript", 200}, {"/admin/app.css", "text/css", 200},
		{"/admin/nope", "", 404},
	} {
		resp, err := http.Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype) {
			t.Errorf("%s: %d %s", c.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if c.status == 200 && resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: no CSP", c.path)
		}
	}
}
