package widgetsdk

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHandler(t *testing.T) {
	js, err := Bundle()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	tr := &http.Transport{DisableCompression: true} // see the raw encoding
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	get := func(t *testing.T, method string, hdr map[string]string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+"/sdk.js", nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}

	first, _ := get(t, http.MethodGet, nil)
	etag := first.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}

	cases := []struct {
		name     string
		method   string
		hdr      map[string]string
		status   int
		encoding string
		body     bool
	}{
		{"plain", http.MethodGet, nil, 200, "", true},
		{"gzip", http.MethodGet, map[string]string{"Accept-Encoding": "gzip, deflate, br"}, 200, "gzip", true},
		{"gzip q=0", http.MethodGet, map[string]string{"Accept-Encoding": "gzip;q=0, br"}, 200, "", true},
		{"head", http.MethodHead, nil, 200, "", false},
		{"not modified", http.MethodGet, map[string]string{"If-None-Match": etag}, 304, "", false},
		{"not modified, list and strong form", http.MethodGet, map[string]string{"If-None-Match": `"x", ` + etag[2:]}, 304, "", false},
		{"not modified, star", http.MethodGet, map[string]string{"If-None-Match": "*"}, 304, "", false},
		{"stale etag", http.MethodGet, map[string]string{"If-None-Match": `W/"old"`}, 200, "", true},
		{"post", http.MethodPost, nil, 405, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := get(t, tc.method, tc.hdr)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == 405 {
				if resp.Header.Get("Allow") == "" {
					t.Error("405 without Allow")
				}
				return
			}
			if got := resp.Header.Get("ETag"); got != etag {
				t.Errorf("ETag %q, want %q", got, etag)
			}
			if got := resp.Header.Get("Cache-Control"); got != CacheControl {
				t.Errorf("Cache-Control %q", got)
			}
			if tc.status == 304 {
				return
			}
			if got := resp.Header.Get("Content-Type"); got != "application/javascript; charset=utf-8" {
				t.Errorf("Content-Type %q", got)
			}
			if got := resp.Header.Get("Content-Encoding"); got != tc.encoding {
				t.Errorf("Content-Encoding %q, want %q", got, tc.encoding)
			}
			if !tc.body {
				if len(b) != 0 {
					t.Errorf("HEAD returned %d body bytes", len(b))
				}
				return
			}
			if tc.encoding == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				if b, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(b, js) {
				t.Error("body is not the bundle")
			}
		})
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"":                   false,
		"gzip":               true,
		"GZIP":               true,
		"br, gzip;q=0.5":     true,
		"gzip;q=0":           false,
		"gzip; q=0.000":      false,
		"*":                  true,
		"identity":           false,
		"deflate, x-gzip":    true,
		"br;q=1, gzip ; q=1": true,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}
