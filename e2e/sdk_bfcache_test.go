package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// pageshowJS records how the page was last shown: restored is true when it
// came back from the back/forward cache.
const pageshowJS = `<script>addEventListener('pageshow',function(e){window.restored=e.persisted})</script>`

// TestSDKBackForwardCache: a page with the SDK (and its open WebSocket) is
// left and restored from Chromium's back/forward cache; events sent after
// the restore still arrive. Chromium reports why a page was not cached
// (Page.backForwardCacheNotUsed), which the test prints on failure.
func TestSDKBackForwardCache(t *testing.T) {
	browser := startChromium(t)
	site := startSite(t)
	ing := newSDKIngest(t)
	tb := openTab(t, browser)
	var mu sync.Mutex
	var notCached []string
	err := chromedp.Listen(tb.ctx, func(ev any) {
		if e, ok := ev.(*page.EventBackForwardCacheNotUsed); ok {
			mu.Lock()
			for _, x := range e.NotRestoredExplanations {
				notCached = append(notCached, string(x.Type)+":"+string(x.Reason))
			}
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	url := site.cacheablePage("bfcache", pageshowJS, localSDKTag(ing, ""))
	tb.navigate(url)
	tb.waitJS("window.PopinBridge && window.restored === false", 10*time.Second)
	eval[bool](tb, `PopinBridge.track('before_leaving',{}); true`)
	if !eval[bool](tb, `PopinBridge.flush()`) {
		t.Fatal("before_leaving not acked")
	}
	eval[bool](tb, `window.marker = 42; true`) // survives only a restore from the cache

	tb.navigate(site.srv.URL + "/blank")
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	_, _ = chromedp.Run(ctx, chromedp.Evaluate[bool](`setTimeout(function(){history.back()}), true`))
	tb.waitJS(`location.pathname.indexOf('/p/bfcache') == 0 && window.restored !== undefined`, 10*time.Second)
	if !eval[bool](tb, `window.restored === true && window.marker === 42`) {
		mu.Lock()
		t.Fatalf("the page was not restored from the back/forward cache: %s", strings.Join(notCached, ", "))
	}
	// Sending goes on: at once with flush, and by itself in a batch.
	eval[bool](tb, `PopinBridge.track('after_restore',{}); true`)
	if !eval[bool](tb, `PopinBridge.flush()`) {
		t.Fatal("after_restore not acked")
	}
	eval[bool](tb, `PopinBridge.track('later',{}); true`)
	waitReceived(t, ing, map[string]int{"before_leaving": 1, "after_restore": 1, "later": 1}, 20*time.Second)
	checkNoPageErrors(t, tb)
}
