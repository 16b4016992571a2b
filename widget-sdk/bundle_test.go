package widgetsdk

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"strings"
	"testing"
)

func gzipSize(t *testing.T, b []byte) int {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Len()
}

func TestBundle(t *testing.T) {
	js, err := Bundle()
	if err != nil {
		t.Fatalf("Bundle: %v", err)
	}
	s := string(js)
	for _, want := range []string{"popinEvent", "PopinBridge", "/v1/ws", "/v1/events", "popinbridge:v1:", `"custom"`} {
		if !strings.Contains(s, want) {
			t.Errorf("bundle lacks %q", want)
		}
	}
	// ES2017: newer syntax must have been lowered, and nothing is imported.
	for _, bad := range []string{"?.", "??", "import ", "require("} {
		if strings.Contains(s, bad) {
			t.Errorf("bundle contains %q, which ES2017 browsers cannot run or which needs a loader", bad)
		}
	}
	// unload and beforeunload handlers keep pages out of the back/forward
	// cache (issue 15.5): the SDK uses pagehide/pageshow only.
	if strings.Contains(s, "unload") {
		t.Error("bundle mentions unload: no unload/beforeunload handlers")
	}
	if !strings.HasPrefix(s, "(()=>{") {
		t.Errorf("bundle is not one IIFE: starts with %.20q", s)
	}
	// Callers get their own copy.
	js[0] = 'X'
	again, _ := Bundle()
	if again[0] == 'X' {
		t.Error("Bundle returned the shared cache, not a copy")
	}
}

func TestBundleSizeBudget(t *testing.T) {
	js, err := Bundle()
	if err != nil {
		t.Fatalf("Bundle: %v", err)
	}
	n := gzipSize(t, js)
	t.Logf("sdk.js: %d bytes minified, %d bytes gzip -9 (budget %d)", len(js), n, SizeBudget)
	if n > SizeBudget {
		t.Fatalf("sdk.js is %d bytes gzip, over the budget of %d: make it smaller", n, SizeBudget)
	}
}

// TestBenchSize prints the SDK's compressed size next to the sizes of two
// well-known trackers (published figures, not measured here).
func TestBenchSize(t *testing.T) {
	if os.Getenv("BRIDGE_BENCH") != "1" {
		t.Skip("benchmark: set BRIDGE_BENCH=1")
	}
	js, err := Bundle()
	if err != nil {
		t.Fatalf("Bundle: %v", err)
	}
	fmt.Printf("BENCH sdk: %d bytes gzip (budget %d; Plausible ~2.6 KB, Segment ~31 KB)\n", gzipSize(t, js), SizeBudget)
}
