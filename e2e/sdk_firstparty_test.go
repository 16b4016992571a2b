package e2e

// First-party serving (issue 15.6): the site's own origin serves its pages
// and, through a reverse proxy that strips the path prefix /t/pb, the
// bridge's /sdk.js, /v1/ws and /v1/events — so nothing the browser loads or
// sends names a third-party host or a tracker-looking path. The proxy
// reaches the bridge from another loopback address (127.0.0.2) and appends
// the browser's address to X-Forwarded-For, so the stored client IP shows
// whether the bridge (ingest.trust_proxy: true) read the forwarded one.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const prefix = "/t/pb"

// firstParty is the site: pages under /p/, a blank page, and the bridge
// under prefix. It records every proxied path and the local address of
// every connection it opened to the bridge.
type firstParty struct {
	srv *httptest.Server

	mu      sync.Mutex
	pages   map[string]string
	paths   []string // "GET /t/pb/sdk.js → /sdk.js"
	from    map[string]bool
	blockWS bool
}

func startFirstParty(t *testing.T, bridge string) *firstParty {
	t.Helper()
	target, err := url.Parse(bridge)
	if err != nil {
		t.Fatal(err)
	}
	fp := &firstParty{pages: map[string]string{}, from: map[string]bool{}}
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Path = strings.TrimPrefix(r.In.URL.Path, prefix)
			r.Out.URL.RawPath = ""
			r.SetURL(target)
			r.SetXForwarded() // X-Forwarded-For: the browser's address
			fp.mu.Lock()
			fp.paths = append(fp.paths, r.In.Method+" "+r.In.URL.Path+" → "+r.Out.URL.Path)
			fp.mu.Unlock()
		},
		Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err == nil {
				host, _, _ := net.SplitHostPort(c.LocalAddr().String())
				fp.mu.Lock()
				fp.from[host] = true
				fp.mu.Unlock()
			}
			return c, err
		}},
	}
	mux := http.NewServeMux()
	mux.HandleFunc(prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		fp.mu.Lock()
		block := fp.blockWS
		fp.mu.Unlock()
		if block && r.Header.Get("Upgrade") != "" {
			http.Error(w, "blocked", http.StatusForbidden) // a proxy that cannot pass upgrades
			return
		}
		proxy.ServeHTTP(w, r)
	})
	mux.HandleFunc("/blank", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!doctype html><title>blank</title>left"))
	})
	mux.HandleFunc("/p/", func(w http.ResponseWriter, r *http.Request) {
		fp.mu.Lock()
		body, ok := fp.pages[strings.TrimPrefix(r.URL.Path, "/p/")]
		fp.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(body))
	})
	fp.srv = httptest.NewServer(mux)
	t.Cleanup(fp.srv.Close)
	return fp
}

func (fp *firstParty) page(name, body string) string {
	fp.mu.Lock()
	fp.pages[name] = "<!doctype html><meta charset=utf-8><title>first party</title>" + body
	fp.mu.Unlock()
	return fp.srv.URL + "/p/" + name
}

func (fp *firstParty) proxied() []string {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	return append([]string(nil), fp.paths...)
}

func TestSDKFirstParty(t *testing.T) {
	browser := startChromium(t)
	ing := startBridgeIngestWith(t, "ingest:\n  trust_proxy: true\n")
	fp := startFirstParty(t, ing.BaseURL())
	has := func(l []string, s string) bool {
		for _, p := range l {
			if strings.HasPrefix(p, s) {
				return true
			}
		}
		return false
	}

	// 1. The tag loads sdk.js from the prefix and, without data-endpoint,
	// sends there too: WebSocket through the proxy.
	tb := openTab(t, browser)
	tb.navigate(fp.page("tag", fmt.Sprintf(`<script async src="%s/sdk.js" data-key="%s" data-debug="true"></script>`, prefix, ing.Key())))
	tb.waitJS("window.PopinBridge && PopinBridge.v", 10*time.Second)
	eval[bool](tb, `PopinBridge.track('fp_ws',{}); window.popinEvent('popin_captured',{email:'asha@example.com'}); true`)
	if !eval[bool](tb, `PopinBridge.flush()`) {
		t.Fatal("flush did not settle")
	}
	checkNoPageErrors(t, tb)

	// 2. data-endpoint with the prefix (and a trailing slash), WebSocket
	// upgrades refused by the proxy: the HTTP fallback, then the keepalive
	// request of a page being left, both under the prefix.
	fp.mu.Lock()
	fp.blockWS = true
	fp.mu.Unlock()
	tb2 := openTab(t, browser)
	tb2.navigate(fp.page("endpoint", fmt.Sprintf(`<script src="%s/sdk.js" data-key="%s" data-endpoint="%s%s/" data-debug="true"></script>`,
		prefix, ing.Key(), fp.srv.URL, prefix)))
	tb2.waitJS("window.PopinBridge && PopinBridge.v", 10*time.Second)
	eval[bool](tb2, `PopinBridge.track('fp_http',{}); true`)
	if !eval[bool](tb2, `PopinBridge.flush().then(ok => ok && PopinBridge.stats().http == 1)`) {
		t.Fatal("flush over HTTP did not settle")
	}
	checkNoPageErrors(t, tb2)
	eval[bool](tb2, `PopinBridge.track('fp_exit',{}); location.href='/blank'; true`)

	got := waitReceived(t, ing, map[string]int{"fp_ws": 1, "popin_captured": 1, "fp_http": 1, "fp_exit": 1}, 30*time.Second)
	for _, e := range got {
		if e.IP != "127.0.0.1" {
			t.Errorf("%s stored with client IP %q, want the browser's 127.0.0.1 from X-Forwarded-For", e.Name, e.IP)
		}
	}
	paths := fp.proxied()
	for _, want := range []string{
		"GET /t/pb/sdk.js → /sdk.js",
		"GET /t/pb/v1/ws → /v1/ws",
		"POST /t/pb/v1/events → /v1/events",
	} {
		if !has(paths, want) {
			t.Errorf("the proxy never saw %q; it saw %q", want, paths)
		}
	}
	fp.mu.Lock()
	from := fp.from
	fp.mu.Unlock()
	if len(from) != 1 || !from["127.0.0.2"] {
		t.Errorf("the proxy reached the bridge from %v, want only 127.0.0.2", from)
	}
}
