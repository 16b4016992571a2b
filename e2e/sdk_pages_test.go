package e2e

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	widgetsdk "github.com/popinbridge/bridge/widget-sdk"
)

// The pieces of a customer's page, put together in the order a test wants.
const (
	// customerJS is the site's own handler: it records every call (event,
	// data, this, argument count) and throws when window.customerThrows is set.
	customerJS = `<script>window.seen=[];window.popinEvent=function(e,d){seen.push([e,d,this,arguments.length]);if(window.customerThrows)throw new Error('customer handler boom: '+e)}</script>`

	// stubJS is the inline stub of widget-sdk/README.md, verbatim.
	stubJS = `<script>!function(w,q,h,b){b=w.PopinBridge=w.PopinBridge||{q:[]};"consent identify track flush".split(" ").forEach(function(n){b[n]=b[n]||function(){var a=arguments;return new Promise(function(r){b.q.push([n,a,r])})}});h=w.popinEvent;if(h&&h.q)return;function f(){q.push(arguments);if(typeof h=="function")return h.apply(this,arguments)}f.q=q;f.h=function(){return h};try{Object.defineProperty(w,"popinEvent",{configurable:!0,get:function(){return f},set:function(v){h=v}})}catch(e){w.popinEvent=f}}(window,[])</script>`

	// plainStubJS is the short queue-only stub.
	plainStubJS = `<script>window.popinEvent=window.popinEvent||function(){(window.popinEvent.q=window.popinEvent.q||[]).push(arguments)}</script>`

	// widgetJS loads the simulated widget synchronously; the test fires the
	// events with fakePopin.fire().
	widgetJS = `<script>window.fakePopinManual=true</script><script src="/fake-popin-widget.js"></script>`

	// popinSnippetJS is Popin's own embed snippet (async load, then init),
	// which fires the events by itself.
	popinSnippetJS = `<script>var popIn=document.createElement('script');popIn.setAttribute('src','/fake-popin-widget.js');document.body.appendChild(popIn);popIn.onload=function(){popInWidgetInit({token:'123456'})}</script>`
)

// sitePages is a customer site on its own 127.0.0.1 origin (so each test has
// its own localStorage): test pages, the simulated widget, a blank page and
// a copy of /sdk.js (for tags that use data-endpoint).
type sitePages struct {
	srv   *httptest.Server
	mu    sync.Mutex
	pages map[string]string
	cache map[string]bool // pages served without Cache-Control: no-store (bfcache-eligible)
}

func startSite(t *testing.T) *sitePages {
	t.Helper()
	widget, err := os.ReadFile("testdata/fake-popin-widget.js")
	if err != nil {
		t.Fatal(err)
	}
	s := &sitePages{pages: map[string]string{}, cache: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/fake-popin-widget.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/javascript")
		_, _ = w.Write(widget)
	})
	mux.Handle("/sdk.js", widgetsdk.Handler())
	mux.HandleFunc("/blank", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!doctype html><title>blank</title><body>left the page</body>"))
	})
	mux.HandleFunc("/p/", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		name := strings.TrimPrefix(r.URL.Path, "/p/")
		body, ok := s.pages[name]
		cacheable := s.cache[name]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if !cacheable {
			w.Header().Set("Cache-Control", "no-store")
		}
		_, _ = w.Write([]byte(body))
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// page registers a page made of the given parts, in order, and returns its URL.
func (s *sitePages) page(name string, parts ...string) string {
	s.mu.Lock()
	s.pages[name] = "<!doctype html><html><head><meta charset=utf-8><title>Acme " + html.EscapeString(name) +
		"</title></head><body><h1>Acme</h1>\n" + strings.Join(parts, "\n") + "\n</body></html>"
	s.mu.Unlock()
	return s.srv.URL + "/p/" + name
}

// sdkTag is the SDK's script tag, loaded from the ingest server (as in
// production), synchronous unless attrs says async.
func sdkTag(ing sdkIngest, attrs string) string {
	return fmt.Sprintf(`<script src="%s/sdk.js" data-key="%s" data-debug="true" %s></script>`, ing.BaseURL(), ing.Key(), attrs)
}

// localSDKTag loads /sdk.js from the site itself and points it at the ingest
// with data-endpoint, so pages load while the ingest is down.
func localSDKTag(ing sdkIngest, attrs string) string {
	return fmt.Sprintf(`<script src="/sdk.js" data-key="%s" data-endpoint="%s" data-debug="true" %s></script>`, ing.Key(), ing.BaseURL(), attrs)
}

// injectSDK is a script that adds the SDK tag later, when expr is true.
func injectSDK(ing sdkIngest, when string) string {
	return fmt.Sprintf(`<script>(function w(){if(!(%s))return setTimeout(w,20);var s=document.createElement('script');s.src=%q;s.async=true;s.setAttribute('data-key',%q);s.setAttribute('data-debug','true');document.head.appendChild(s)})()</script>`,
		when, ing.BaseURL()+"/sdk.js", ing.Key())
}

// cacheablePage is page without Cache-Control: no-store, so that the
// browser may keep it in its back/forward cache.
func (s *sitePages) cacheablePage(name string, parts ...string) string {
	s.mu.Lock()
	s.cache[name] = true
	s.mu.Unlock()
	return s.page(name, parts...)
}
