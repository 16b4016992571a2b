package bundle

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/evanw/esbuild/pkg/api"
)

func TestBuild(t *testing.T) {
	good := fstest.MapFS{
		"src/index.ts": {Data: []byte("import { twice } from './util';\nconst el: number = twice(21);\n(window as any).answer = el;\n")},
		"src/util.ts":  {Data: []byte("export function twice(n: number): number { return n * 2; }\nexport function unused(): string { return 'dropped'; }\n")},
	}
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    []string // substrings of the output
		wantErr string   // substring of the error; "" for success
	}{
		{"relative import bundled, unused code dropped", good, []string{"answer"}, ""},
		{"bare import refused", fstest.MapFS{"src/index.ts": {Data: []byte("import 'left-pad';\n")}},
			nil, `import "left-pad": only relative imports`},
		{"missing file", fstest.MapFS{"src/index.ts": {Data: []byte("import './nope';\n")}},
			nil, "load src/nope.ts"},
		{"syntax error has a location", fstest.MapFS{"src/index.ts": {Data: []byte("const = 1;\n")}},
			nil, "src/index.ts:1:6: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			js, err := Build(Options{Sources: tc.files, Entry: "src/index.ts", Outfile: "t.js", Namespace: "test",
				Target: api.ES2017, TreeShaking: api.TreeShakingTrue})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "bundling src/index.ts: ") {
					t.Fatalf("err %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(js), w) {
					t.Errorf("output %q lacks %q", js, w)
				}
			}
			if strings.Contains(string(js), "dropped") || strings.Contains(string(js), "\n\n") {
				t.Errorf("output not tree-shaken or minified: %q", js)
			}
		})
	}
}

// TestBuildESM: an ES module keeps the entry's exports; the default is an IIFE.
func TestBuildESM(t *testing.T) {
	src := fstest.MapFS{"src/index.ts": {Data: []byte("export function hello(n: string): string { return 'hi ' + n }\n")}}
	for _, tc := range []struct {
		format api.Format
		want   string
	}{{api.FormatDefault, "(()=>{"}, {api.FormatESModule, "export{"}} {
		js, err := Build(Options{Sources: src, Entry: "src/index.ts", Outfile: "t.js", Namespace: "test", Target: api.ES2017, Format: tc.format})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(js), tc.want) {
			t.Errorf("format %v: output %q lacks %q", tc.format, js, tc.want)
		}
	}
}

// TestBuildMangleProps: properties matching MangleProps are renamed, the
// others (and quoted keys) are kept.
func TestBuildMangleProps(t *testing.T) {
	src := fstest.MapFS{"src/index.ts": {Data: []byte("const o = { inner_: 1, wire: 2, 'quoted_': 3 };\n(window as any).x = o.inner_ + o.wire + o['quoted_'];\n")}}
	js, err := Build(Options{Sources: src, Entry: "src/index.ts", Outfile: "t.js", Namespace: "test", Target: api.ES2017, MangleProps: "_$"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(js)
	if strings.Contains(s, "inner_") || !strings.Contains(s, "wire") || !strings.Contains(s, "quoted_") {
		t.Errorf("mangled output %q: want inner_ renamed, wire and quoted_ kept", s)
	}
}

func TestCached(t *testing.T) {
	src := fstest.MapFS{"src/a.ts": {Data: []byte(`console.log("a")`)}}
	get := Cached("pkg", Options{Sources: src, Entry: "src/a.ts", Outfile: "a.js", Namespace: "t", Target: api.ES2020})
	one, err := get()
	if err != nil || !strings.Contains(string(one), `console.log("a")`) {
		t.Fatalf("Cached: %q %v", one, err)
	}
	src["src/a.ts"].Data = []byte(`syntax error(`) // built once: not read again
	if two, err := get(); err != nil || &two[0] != &one[0] {
		t.Fatalf("second call built again: %q %v", two, err)
	}
	_, err = Cached("pkg", Options{Sources: src, Entry: "src/a.ts", Outfile: "a.js", Namespace: "t", Target: api.ES2020})()
	if err == nil || !strings.HasPrefix(err.Error(), "pkg: bundling src/a.ts") {
		t.Fatalf("a failing build: %v, want it named pkg", err)
	}
}
