package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/popinbridge/bridge/internal/testkit"
)

// chromiumPath finds the browser: $BRIDGE_CHROMIUM, then Debian's
// /usr/bin/chromium, then PATH.
func chromiumPath() string {
	if p := os.Getenv("BRIDGE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startChromium starts a headless Chromium with a fresh profile for one test
// and returns its browser context; the browser stops when the test ends.
// Without Chromium the test fails under CI=true and is skipped otherwise.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found (install Debian's chromium or set BRIDGE_CHROMIUM); required under CI=true")
		}
		t.Skip("chromium not found; install it or set BRIDGE_CHROMIUM")
	}
	dir, err := os.MkdirTemp("", "e2e-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(dir),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
	)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return browser
}

// tab is one browser tab with a record of the page's uncaught exceptions
// and console.error calls.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu     sync.Mutex
	errors []string
	logs   []string // every console call, for failure reports
}

// openTab opens a new tab in the browser (same profile, so the same
// localStorage as the other tabs) and starts recording page errors.
func openTab(t *testing.T, browser context.Context) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("E2E_CONSOLE") == "1" {
			tb.mu.Lock()
			t.Logf("console of the tab:\n%s", strings.Join(tb.logs, "\n"))
			tb.mu.Unlock()
		}
	})
	if err := chromedp.Listen(ctx, tb.onEvent); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return tb
}

func (tb *tab) onEvent(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "uncaught: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg = "uncaught: " + strings.SplitN(d.Exception.Description, "\n", 2)[0]
		}
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			if a.Value != nil {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		line := time.Now().Format("15:04:05.000") + " console." + string(ev.Type) + ": " + strings.Join(parts, " ")
		tb.mu.Lock()
		if len(tb.logs) < 2000 {
			tb.logs = append(tb.logs, line)
		}
		tb.mu.Unlock()
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		msg = "console.error: " + strings.Join(parts, " ")
	default:
		return
	}
	tb.mu.Lock()
	tb.errors = append(tb.errors, msg)
	tb.mu.Unlock()
}

// pageErrors returns the errors recorded so far.
func (tb *tab) pageErrors() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.errors...)
}

func (tb *tab) navigate(url string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		tb.t.Fatalf("navigate %s: %v", url, err)
	}
}

// eval evaluates a JavaScript expression in the page and decodes the result
// into T; promises are awaited.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := evalErr[T](tb, expr)
	if err != nil {
		tb.t.Fatalf("eval %q: %v", expr, err)
	}
	return v
}

func evalErr[T any](tb *tab, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// waitJS polls a boolean expression in the page until it is true.
func (tb *tab) waitJS(expr string, timeout time.Duration) {
	tb.t.Helper()
	testkit.Eventually(tb.t, timeout, func() error {
		ok, err := evalErr[bool](tb, "!!("+expr+")")
		if err == nil && !ok {
			err = fmt.Errorf("%s is false", expr)
		}
		return err
	})
}
