package rules

import (
	"encoding/json"
	"testing"

	"github.com/popinbridge/bridge/internal/payload"
)

// FuzzRules compiles any source as a filter and a transform and evaluates
// what compiles on an event with fuzzed data: nothing may panic, a body is
// valid JSON within MaxBody.
func FuzzRules(f *testing.F) {
	for _, s := range []string{
		`name == "popin_captured" && data.country == "IN"`,
		`{"e": name, "d": data, "m": map(data.items ?? [], #)}`,
		`any(data.items, # > 1)`, `data.a?.b?.c`, `join(split(data.s ?? "", ""), "-") != ""`,
		`1..100000`, `let x = 1; x`, `reduce(1..2, #acc, 0)`, `{`, `"`, `toJSON(data)`, `fromJSON(data.s)`,
		`sortBy(data.items, #)`, `groupBy(1..50, # % 3)`, `date(ts).Unix() > 0`, `$env`,
	} {
		f.Add(s, `{"country":"IN","items":[1,2,3],"s":"a<b"}`)
	}
	f.Fuzz(func(t *testing.T, src, data string) {
		ev := payload.Sample()
		ev.Data = json.RawMessage(data)
		env := NewEnv(ev)
		if fl, err := CompileFilter(src); err == nil {
			_, _ = fl.MatchEnv(env)
		}
		if tr, err := CompileTransform(src); err == nil {
			b, err := tr.BodyEnv(env)
			if err == nil && (!json.Valid(b) || len(b) > MaxBody) {
				t.Fatalf("transform %q gave an invalid body %q", src, b)
			}
		}
	})
}
