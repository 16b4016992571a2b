package adminui_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
)

// needChromium skips the test where Chromium is not installed, and fails it
// in CI.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium missing at %s: %v", chromium, err)
		}
		t.Skipf("chromium missing at %s", chromium)
	}
}

// migratedDB is a new database named after prefix on the shared
// ClickHouse, with the bridge schema; it is closed at Cleanup.
func migratedDB(t *testing.T, prefix string) *chdb.DB {
	t.Helper()
	cfg := chdb.NewDefaultConfig()
	cfg.Addr, cfg.Database = chtest.Shared(t).Addr(), chtest.DatabaseName(prefix)
	return chtest.MigratedDB(t, cfg, chdb.Settings{})
}

// startChromium starts a headless Chromium and opens url in it; stop ends
// it.
func startChromium(t *testing.T, url string) (bctx context.Context, stop func()) {
	t.Helper()
	actx, acancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1400))
	bctx, bcancel := chromedp.NewContext(actx)
	stop = func() { bcancel(); acancel() }
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		stop()
		t.Fatalf("start chromium: %v", err)
	}
	return bctx, stop
}

// stepper returns step: it runs a named group of actions in bctx within
// 20s, failing the test (with a screenshot) if they fail.
func stepper(t *testing.T, bctx context.Context) func(name string, steps ...chromedp.Action[chromedp.Void]) {
	return func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			shot(t, bctx, "failed-"+strings.ReplaceAll(name, " ", "-"))
			t.Fatalf("%s: %v", name, err)
		}
	}
}
