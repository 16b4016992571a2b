package rules

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/payload"
)

// TestCompile: good expressions compile; bad ones give the position of
// the problem.
func TestCompile(t *testing.T) {
	cases := []struct {
		name, src     string
		transform     bool
		line, column  int // 0: valid
		wantInMessage string
	}{
		{"filter", `name == "popin_captured" && data.country == "IN"`, false, 0, 0, ""},
		{"filter ctx and consent", `ctx.url startsWith "https://" && consent.ads != false && source == "browser"`, false, 0, 0, ""},
		{"filter predicate", `any(data.items ?? [], #.sku == "x") || seq > 3`, false, 0, 0, ""},
		{"filter in", `name in ["popin_captured", "popin_call_end"]`, false, 0, 0, ""},
		{"transform", `{"event": name, "email": lower(data.email ?? ""), "utm": ctx.utm}`, true, 0, 0, ""},
		{"transform data", `data`, true, 0, 0, ""},
		{"unknown name", `nme == "x"`, false, 1, 1, "unknown name nme"},
		{"unknown ctx field", `ctx.nope == "x"`, false, 1, 5, "no field nope"},
		{"type mismatch line 2", "name == \"x\" &&\n  seq == \"a\"", false, 2, 7, "mismatched types"},
		{"syntax", `name == `, false, 1, 8, "unexpected token"},
		{"unclosed", `{"a": name`, true, 1, 10, ""},
		{"let", `let x = name; x == "a"`, false, 1, 5, "variables (let)"},
		{"reduce", `reduce(1..3, #acc + 1, 0) > 1`, false, 1, 1, "reduce"},
		{"nested predicate", `any(data.a ?? [], all(data.b ?? [], true))`, false, 1, 19, "inside another predicate"},
		{"repeat", `repeat("a", 9) == ""`, false, 1, 1, "unknown name repeat"},
		{"filter not bool", `name`, false, 0, 0, "expected bool"},
		{"transform not map", `name`, true, 0, 0, "expected map"},
		{"empty", `  `, false, 0, 0, "empty expression"},
		{"too long", `name == "` + strings.Repeat("a", MaxSource) + `"`, false, 0, 0, "longer than"},
		{"too many nodes", strings.Repeat("1+", MaxNodes) + "1 > 0", false, 1, 0, "maximum allowed nodes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.transform {
				_, err = CompileTransform(tc.src)
			} else {
				_, err = CompileFilter(tc.src)
			}
			if tc.wantInMessage == "" && tc.line == 0 {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("want an *Error, got %v", err)
			}
			if re.Line != tc.line || (tc.column != 0 && re.Column != tc.column) {
				t.Errorf("position %d:%d, want %d:%d (%v)", re.Line, re.Column, tc.line, tc.column, err)
			}
			if !strings.Contains(err.Error(), tc.wantInMessage) {
				t.Errorf("message %q lacks %q", err, tc.wantInMessage)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	ev := payload.Sample()
	ev.Context.Consent = map[string]bool{"ads": false}
	ev.Seq = 7
	cases := []struct {
		src     string
		want    bool
		wantErr string
	}{
		{`name == "popin_captured" && data.country == "IN"`, true, ""},
		{`data.country == "US"`, false, ""},
		{`data.missing == nil`, true, ""},
		{`data.address?.city == "x"`, false, ""},
		{`data.address.city == "x"`, false, "cannot fetch city"},
		{`consent.ads == false && ctx.consent.ads == false && consent.analytics == nil`, true, ""},
		{`seq == 7 && uid == "u-sample" && known && site == "sample"`, true, ""},
		{`ts == "2026-01-02T03:04:05Z" && date(ts).Year() == 2026`, true, ""},
		{`data.country`, false, "bool"},
		{`len(filter(1..(Budget * 2), # > 0)) > 0`, false, "memory budget exceeded"},
	}
	for _, tc := range cases {
		t.Run(tc.src, func(t *testing.T) {
			src := strings.ReplaceAll(tc.src, "Budget", "10000")
			f, err := CompileFilter(src)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.Match(ev)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error with %q, got %v, %v", tc.wantErr, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestBudgetCountsPredicateSteps: steps over the event's own arrays count
// too, not only ranges (positive control first: a small array passes).
func TestBudgetCountsPredicateSteps(t *testing.T) {
	f, err := CompileFilter(`any(data.items, # == -1)`)
	if err != nil {
		t.Fatal(err)
	}
	items := func(n int) *event.Event {
		ev := payload.Sample()
		a := make([]int, n)
		ev.Data, _ = json.Marshal(map[string]any{"items": a})
		return ev
	}
	if ok, err := f.Match(items(100)); err != nil || ok {
		t.Fatalf("100 items: %v %v", ok, err)
	}
	if _, err := f.Match(items(Budget + 1)); err == nil || !strings.Contains(err.Error(), "budget") {
		t.Fatalf("%d items: want the budget exceeded, got %v", Budget+1, err)
	}
}

func TestBoundedBuiltins(t *testing.T) {
	ev := payload.Sample()
	big := strings.Repeat("x", 2000)
	ev.Data, _ = json.Marshal(map[string]any{"s": big, "tags": []string{"a", "b"}})
	for src, wantErr := range map[string]string{
		`join(data.tags, ",") == "a,b"`:                      "",
		`join(split(data.s, ""), data.s) != ""`:              "join: the result would be over",
		`replace(data.s, "x", "y") != ""`:                    "",
		`replace(data.s, "", data.s) != ""`:                  "replace: the result would be over",
		`replace(data.s, "x", "yy", 1) == "yy" + data.s[1:]`: "",
	} {
		f, err := CompileFilter(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		ok, err := f.Match(ev)
		if wantErr == "" && (err != nil || !ok) {
			t.Errorf("%s: got %v, %v", src, ok, err)
		}
		if wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)) {
			t.Errorf("%s: want %q, got %v", src, wantErr, err)
		}
	}
}

func TestTransformBody(t *testing.T) {
	ev := payload.Sample()
	tr, err := CompileTransform(`{"event": name, "email": upper(data.email), "n": [1, 2], "page": ctx.url, "at": ts}`)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.Body(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"at":"2026-01-02T03:04:05Z","email":"ASHA@EXAMPLE.COM","event":"popin_captured","n":[1,2],"page":"https://www.example.com/p/1"}`
	if string(b) != want {
		t.Fatalf("body\n got %s\nwant %s", b, want)
	}
	for src, wantErr := range map[string]string{
		`{"x": 1 / 0}`:                "not JSON",
		`data.nested ?? {}`:           "",
		`data.email == "" ? {} : nil`: "not a map",
	} {
		tr, err := CompileTransform(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		_, err = tr.Body(ev)
		if (wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), wantErr)) {
			t.Errorf("%s: want %q, got %v", src, wantErr, err)
		}
	}
}

func TestEnvOfOddData(t *testing.T) {
	f, err := CompileFilter(`len(data) == 0`)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{``, `null`, `[1,2]`, `"s"`, `{bad`} {
		ev := payload.Sample()
		ev.Data = json.RawMessage(raw)
		if ok, err := f.Match(ev); err != nil || !ok {
			t.Errorf("data %q: got %v, %v; want data {}", raw, ok, err)
		}
	}
}
