package e2e

// The npm package (widget-sdk/npm) as an app that bundles would use it:
// `npm pack` the built package, unpack the tarball into an app's
// node_modules, type-check the app against the package's declarations with
// tsc, bundle it with esbuild (resolving the package's "exports" like any
// bundler) and run it in Chromium against the real bridge.

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"github.com/popinbridge/bridge/internal/testkit"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/popinbridge/bridge/widget-sdk/npm"
)

// npmApp uses the package the way its README shows: calls before init are
// queued, popinEvent handlers are typed by event name.
const npmApp = `import { init, consent, identify, track, flush, stats, type PopinEventHandler } from '@popinbridge/sdk'

declare const CONFIG: { key: string; endpoint: string }

track('npm_early', { before: true })
init({ key: CONFIG.key, endpoint: CONFIG.endpoint, debug: true })
consent({ ads: true, analytics: 'granted' })
identify('npm-user-1', { plan: 'gold' })
const seen: string[] = []
const handler: PopinEventHandler = (name, data) => {
  if (name === 'popin_captured') seen.push(data.email ?? '')
  if (name === 'popin_rating_done') seen.push(String(data.rating))
}
window.popinEvent = handler
window.popinEvent('popin_captured', { email: 'asha@example.com', uid: 'u1' })
const pending: number = stats().pending
;(window as any).npmApp = { seen, pending, done: flush() }
`

// npmBadApp must not type-check: the positive control that tsc reads the
// package's declarations at all.
const npmBadApp = `import { init } from '@popinbridge/sdk'
init({ endpoint: 'https://x' })
window.popinEvent = (name, data) => {
  if (name === 'popin_rating_done') {
    const b: boolean = data.rating
  }
}
`

func TestSDKNpmPackage(t *testing.T) {
	npmBin, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("npm not found; required under CI=true")
		}
		t.Skip("npm not found")
	}
	browser := startChromium(t)
	tmp := t.TempDir()
	pkgDir := filepath.Join(tmp, "pkg")
	if err := npm.Write(pkgDir, ""); err != nil {
		t.Fatal(err)
	}
	tarball := npmPack(t, npmBin, pkgDir, tmp)
	app := filepath.Join(tmp, "app")
	files := untarPackage(t, tarball, filepath.Join(app, "node_modules", "@popinbridge", "sdk"))
	for _, want := range []string{"package.json", "index.mjs", "index.d.ts", "events.d.ts", "sdk.js", "README.md"} {
		if !files[want] {
			t.Errorf("tarball lacks package/%s (has %v)", want, files)
		}
	}
	for name, src := range map[string]string{"app.ts": npmApp, "bad.ts": npmBadApp} {
		if err := os.WriteFile(filepath.Join(app, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("tsc", func(t *testing.T) { typeCheck(t, app) })

	res := api.Build(api.BuildOptions{
		EntryPoints:   []string{"app.ts"},
		AbsWorkingDir: app,
		Bundle:        true,
		Write:         false,
		Outfile:       "app.js",
		Format:        api.FormatIIFE,
		Platform:      api.PlatformBrowser,
		Target:        api.ES2017,
		LogLevel:      api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		t.Fatalf("esbuild: %+v", res.Errors)
	}
	js := string(res.OutputFiles[0].Contents)
	if strings.Contains(js, "currentScript") {
		t.Error(`the app bundle holds the script-tag IIFE: "exports" did not resolve "import" to index.mjs`)
	}

	site := startSite(t)
	ing := newSDKIngest(t)
	tb := openTab(t, browser)
	cfg := fmt.Sprintf(`<script>var CONFIG={key:%q,endpoint:%q}</script>`, ing.Key(), ing.BaseURL())
	tb.navigate(site.page("npm", cfg, "<script>"+js+"</script>"))
	tb.waitJS("window.npmApp && window.PopinBridge && PopinBridge.v", 10*time.Second)
	if !eval[bool](tb, `npmApp.done`) {
		t.Fatal("flush did not settle")
	}
	if got := eval[string](tb, `npmApp.seen.join(',')`); got != "asha@example.com" {
		t.Errorf("the app's handler saw %q", got)
	}
	got := waitReceived(t, ing, map[string]int{"npm_early": 1, "identify": 1, "popin_captured": 1}, 20*time.Second)
	for _, e := range got {
		if e.Name == "popin_captured" && e.UserID != "npm-user-1" {
			t.Errorf("popin_captured: user_id %q, want npm-user-1", e.UserID)
		}
	}
	checkNoPageErrors(t, tb)
}

// npmPack runs `npm pack` offline and returns the tarball's path.
func npmPack(t *testing.T, npmBin, pkgDir, dest string) string {
	t.Helper()
	cmd := exec.Command(npmBin, "pack", "--json", "--offline", "--pack-destination", dest, pkgDir)
	cmd.Env = append(os.Environ(), "npm_config_cache="+filepath.Join(dest, "npm-cache"), "npm_config_update_notifier=false", "npm_config_fund=false")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("npm pack: %v\n%s", err, out)
	}
	var packed []struct{ Filename string }
	if err := json.Unmarshal(out, &packed); err != nil || len(packed) != 1 {
		t.Fatalf("npm pack output %s: %v", out, err)
	}
	return filepath.Join(dest, packed[0].Filename)
}

// untarPackage unpacks the tarball's package/ directory into dir and
// returns the names of the files.
func untarPackage(t *testing.T, tarball, dir string) map[string]bool {
	t.Helper()
	f, err := os.Open(tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	files := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name, ok := strings.CutPrefix(h.Name, "package/")
		if !ok || h.Typeflag != tar.TypeReg || !filepath.IsLocal(name) {
			t.Fatalf("unexpected tarball entry %q", h.Name)
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(io.LimitReader(tr, 1<<20))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files[name] = true
	}
	return files
}

// typeCheck runs tsc --noEmit --strict on the app (must pass) and on the
// bad app (must fail on both of its mistakes).
func typeCheck(t *testing.T, app string) {
	tsc := testkit.TSC(t)
	run := func(file string) (string, error) {
		cmd := exec.Command(tsc, "--noEmit", "--strict", "--target", "es2017", "--module", "esnext",
			"--moduleResolution", "bundler", "--lib", "es2017,dom", file)
		cmd.Dir = app
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("app.ts"); err != nil {
		t.Errorf("tsc app.ts: %v\n%s", err, out)
	}
	out, err := run("bad.ts")
	if err == nil {
		t.Fatal("tsc accepted bad.ts: the declarations were not applied")
	}
	for _, want := range []string{"bad.ts(2,", "Property 'key' is missing", "bad.ts(5,", "not assignable to type 'boolean'"} {
		if !strings.Contains(out, want) {
			t.Errorf("tsc bad.ts output lacks %q:\n%s", want, out)
		}
	}
}
