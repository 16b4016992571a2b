package rules

import (
	"encoding/json"
	"strings"
	"testing"

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
			for _, v := range []string{"zq.person", "zq.second", "447700900123", "4.47700900123e+11", "Zoë", `Zo\u00eb`, "uid-zq", "zq%40", "zqagent"} {
				if strings.Contains(err.Error(), v) {
					t.Errorf("error %q quotes the event's %q", err, v)
				}
			}
		})
	}
}
