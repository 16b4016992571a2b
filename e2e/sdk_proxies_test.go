package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSDKFirstPartyRealProxies runs widget-sdk/README.md's nginx and Caddy
// recipes (the fenced blocks themselves, see proxyrecipe_test.go) in front
// of a bridge with ingest.trust_proxy: true. Through each proxy, under
// /t/pb: sdk.js loads, events go over the proxied WebSocket, then (on a
// page without WebSocket) over POST /v1/events and the page-exit request;
// every stored event has the browser's address (127.0.0.1) although the
// bridge's peer is the relay's 127.0.0.2, and the bridge saw only paths
// without the prefix.
func TestSDKFirstPartyRealProxies(t *testing.T) {
	browser := startChromium(t)
	ing := startBridgeIngestWith(t, "ingest:\n  trust_proxy: true\n")
	_, bridgeAddr, _ := strings.Cut(ing.BaseURL(), "://")
	want := map[string]int{} // every event of the sub-tests so far (one bridge)

	for _, px := range []struct {
		name  string
		start func(t *testing.T, upstreamPort, site string) *proxyProc
	}{
		{"nginx", startNginx},
		{"caddy", startCaddy},
	} {
		t.Run(px.name, func(t *testing.T) {
			rl := startRelay(t, bridgeAddr)
			fp := startFirstParty(t, ing.BaseURL()) // the site itself: pages and /blank
			proxy := px.start(t, rl.port(), fp.srv.URL)
			page := func(name, body string) string {
				fp.page(name, body)
				return "http://" + proxy.addr + "/p/" + name
			}
			tag := fmt.Sprintf(`<script async src="%s/sdk.js" data-key="%s" data-debug="true"></script>`, prefix, ing.Key())

			// 1. WebSocket through the proxy.
			tb := openTab(t, browser)
			tb.navigate(page("ws", tag))
			tb.waitJS("window.PopinBridge && PopinBridge.v", 10*time.Second)
			eval[bool](tb, fmt.Sprintf(`PopinBridge.track('%s_ws',{}); true`, px.name))
			if !eval[bool](tb, `PopinBridge.flush().then(ok => ok && PopinBridge.stats().http == 0)`) {
				t.Fatal("flush over the WebSocket did not settle")
			}
			checkNoPageErrors(t, tb)

			// 2. A page whose WebSocket cannot open: the HTTP fallback, then
			// the keepalive request of a page being left.
			tb2 := openTab(t, browser)
			tb2.navigate(page("http", `<script>window.WebSocket=function(){throw new Error('no WebSocket here')}</script>`+tag))
			tb2.waitJS("window.PopinBridge && PopinBridge.v", 10*time.Second)
			eval[bool](tb2, fmt.Sprintf(`PopinBridge.track('%s_http',{}); true`, px.name))
			if !eval[bool](tb2, `PopinBridge.flush().then(ok => ok && PopinBridge.stats().http == 1)`) {
				t.Fatal("flush over HTTP did not settle")
			}
			checkNoPageErrors(t, tb2)
			eval[bool](tb2, fmt.Sprintf(`PopinBridge.track('%s_exit',{}); location.href='/blank'; true`, px.name))

			for _, s := range []string{"_ws", "_http", "_exit"} {
				want[px.name+s] = 1
			}
			got := waitReceived(t, ing, want, 30*time.Second)
			for _, e := range got {
				if strings.HasPrefix(e.Name, px.name+"_") && e.IP != "127.0.0.1" {
					t.Errorf("%s stored with client IP %q, want the browser's 127.0.0.1 from X-Forwarded-For", e.Name, e.IP)
				}
			}
			reqs := rl.requests()
			for _, w := range []string{"GET /sdk.js", "GET /v1/ws?key=", "POST /v1/events?key="} {
				found := false
				for _, r := range reqs {
					found = found || strings.HasPrefix(r, w)
				}
				if !found {
					t.Errorf("the bridge never received %q; it received %q", w, reqs)
				}
			}
			for _, r := range reqs {
				if strings.Contains(r, prefix) {
					t.Errorf("the bridge received %q: the proxy did not strip %s", r, prefix)
				}
			}
		})
	}
}
