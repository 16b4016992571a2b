package rules

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/popinbridge/bridge/internal/payload"
)

// An evaluation error names the failed operation without the event's
// values, whatever their type and depth: expr quotes operands in its
// messages, and the error reaches logs.
func TestEvaluationErrorsWithoutValues(t *testing.T) {
	ev := payload.Sample()
	ev.UID = "uid-zq-7731"
	ev.Context.URL = "https://www.acme.com/?email=zq%40example.org"
	ev.Context.UserAgent = "zqagent/7731"
	ev.Data = json.RawMessage(`{"email":"zq.person@example.org","phone":447700900123,"name":"Zoë Quist",
		"lead":{"emails":["zq.second@example.org"]}}`)
	cases := []struct{ src, want string }{
		{`{"n": int(data.email)}`, "int(" + Redacted + ")"},
		{`{"n": data.email / 2}`, "invalid operation"},
		{`{"n": data.phone + "x"}`, "invalid operation"},
		{`{"n": int(data.lead.emails[0])}`, Redacted},
		{`{"n": int(data.name)}`, Redacted},
		{`{"n": int(uid)}`, Redacted},
		{`{"n": int(ctx.url)}`, Redacted},
		{`{"n": int(ctx.ua)}`, Redacted},
		{`{"n": data.lead.emails[5]}`, "out of range"},
		// Values the rule changed before the failing operation quoted them.
		{`{"n": int(lower(data.email))}`, "int(" + Redacted + ")"},
		{`{"n": int(upper(data.email))}`, "int(" + Redacted + ")"},
		{`{"n": int(split(data.email, "@")[0])}`, "int(" + Redacted + ")"},
		{`{"n": int(data.email + "x")}`, "int(" + Redacted + ")"},
		{`{"n": int(trim(data.name, "Z"))}`, "int(" + Redacted + ")"},
		{`{"n": date(data.email)}`, "invalid date " + Redacted},
		{`{"n": duration(data.name)}`, "duration"},
		{`{"n": int(string(data.phone * 3))}`, "int(" + Redacted + ")"},
	}
	for _, tc := range cases {
		t.Run(tc.src, func(t *testing.T) {
			tr, err := CompileTransform(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			_, err = tr.Body(ev)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			for _, v := range []string{"zq.person", "zq.second", "447700900123", "4.47700900123e+11", "Zoë", `Zo\u00eb`, "uid-zq", "zq%40", "zqagent",
				"example", "EXAMPLE", "PERSON", "oë", "Quist", "1.343"} {
				if strings.Contains(err.Error(), v) {
					t.Errorf("error %q quotes the event's %q", err, v)
				}
			}
		})
	}
}

// FuzzRedact: every word redact keeps is one it may keep (errorWords,
// identifiers of the rule, a short number): a value quoted in an error,
// whatever the wording around it, is either such a word or gone.
func FuzzRedact(f *testing.F) {
	f.Add("invalid operation: int(zq.person@example.org)", "int(data.email)")
	f.Add(`time: unknown unit " " in duration "+44 7700 900123"`, "duration(data.phone)")
	f.Add("cannot fetch x from map[string]interface {}", "data.x.y")
	f.Fuzz(func(t *testing.T, msg, source string) {
		out := redact(msg, source)
		ids := identifiers(source)
		for _, w := range strings.FieldsFunc(out, func(r rune) bool {
			return unicode.IsSpace(r) || strings.ContainsRune("()[]{},:;\"'`", r)
		}) {
			if w != strings.Trim(Redacted, "[]") && !keepWord(w, ids) {
				t.Fatalf("redact(%q, %q) = %q keeps %q", msg, source, out, w)
			}
		}
	})
}
