package popinhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/schemas"
)

var received = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func readWebhook(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parsedOf returns Data's bridge_parsed object (nil when absent) and checks
// that the rest of Data equals the body.
func parsedOf(t *testing.T, body []byte, data json.RawMessage) map[string]string {
	t.Helper()
	var got, want map[string]json.RawMessage
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("Data is not a JSON object: %v\n%s", err, data)
	}
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatal(err)
	}
	var parsed map[string]string
	if raw, ok := got[parsedKey]; ok {
		if err := json.Unmarshal(raw, &parsed); err != nil {
			t.Fatalf("bridge_parsed: %v", err)
		}
		delete(got, parsedKey)
	}
	delete(want, parsedKey)
	if len(got) != len(want) {
		t.Fatalf("Data has %d keys besides bridge_parsed, body %d", len(got), len(want))
	}
	for k, v := range want {
		if string(got[k]) != string(v) {
			t.Errorf("Data[%s] = %s, want the raw %s", k, got[k], v)
		}
	}
	return parsed
}

func TestParseDocumentedWebhooks(t *testing.T) {
	tests := []struct {
		file    string
		name    string
		uid     string
		ts      time.Time // zero: receivedAt
		country string
		url     string
		utm     map[string]string
		parsed  map[string]string
	}{
		{file: "call_successful.json", name: "popin_call_successful", uid: "3ab7634bb5f3a7544fd16ca0e5107b07",
			ts: time.Date(2026, 2, 27, 15, 35, 11, 0, time.UTC), country: "IN", url: "https://www.acme.com/p/1",
			utm:    map[string]string{"utm_source": "facebook", "utm_medium": "cpc", "utm_campaign": "spring_sale"},
			parsed: map[string]string{"timestamp": "2026-02-27T15:35:11Z"}},
		{file: "call_missed.json", name: "popin_call_missed", uid: "3ab7634bb5f3a7544fd16ca0e5107b07",
			ts: time.Date(2026, 2, 27, 10, 5, 11, 0, time.UTC), country: "US", url: "https://www.acme.com/",
			parsed: map[string]string{"timestamp": "2026-02-27T15:35:11+05:30"}},
		{file: "call_abandoned.json", name: "popin_call_abandoned", uid: "9f86d081884c7d659a2feaa0c55ad015",
			ts: time.Date(2026, 2, 27, 15, 35, 11, 0, time.UTC), country: "GB", url: "https://www.acme.com/cart",
			utm: map[string]string{"utm_source": "google"}, parsed: map[string]string{"timestamp": "2026-02-27T15:35:11Z"}},
		{file: "call_remark_added.json", name: "popin_call_remark_added", uid: "3ab7634bb5f3a7544fd16ca0e5107b07",
			country: "IN", url: "https://www.acme.com/p/1"},
		{file: "scheduled_created.json", name: "popin_scheduled_created", uid: "3ab7634bb5f3a7544fd16ca0e5107b07",
			ts: time.Date(2026, 2, 20, 10, 0, 0, 0, time.UTC), country: "IN", url: "https://www.acme.com/p/1",
			parsed: map[string]string{"timestamp": "2026-02-20T10:00:00Z",
				"scheduled_at": "2026-02-27T21:30:00", "scheduled_at_local": "2026-02-28T09:00:00"}},
		{file: "user_captured.json", name: "popin_user_captured", uid: "3ab7634bb5f3a7544fd16ca0e5107b07",
			country: "IN", url: "https://www.acme.com/p/1?utm_source=facebook",
			utm: map[string]string{"utm_source": "facebook", "utm_medium": "paid", "utm_campaign": "diwali", "utm_term": "sofa", "utm_content": "video1"}},
		{file: "call_rated.json", name: "popin_call_rated", uid: "3ab7634bb5f3a7544fd16ca0e5107b07",
			ts: time.Date(2026, 2, 27, 15, 35, 11, 0, time.UTC), country: "IN", url: "https://www.acme.com/p/1",
			parsed: map[string]string{"timestamp": "2026-02-27T15:35:11Z"}},
		{file: "call_guest_connected.json", name: "popin_call_guest_connected", uid: "3ab7634bb5f3a7544fd16ca0e5107b07",
			ts: time.Date(2026, 2, 27, 21, 5, 0, 0, time.UTC), country: "IN", url: "https://www.acme.com/p/1",
			parsed: map[string]string{"timestamp": "2026-02-27T21:05:00Z"}},
		{file: "missed_notification.json", name: "popin_missed_notification", uid: "3ab7634bb5f3a7544fd16ca0e5107b07",
			country: "AE", url: "https://www.acme.com/"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := readWebhook(t, tt.file)
			ev, err := Parse("acme", body, received)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Name != tt.name || ev.Source != event.SourcePopinServer || !ev.Known || ev.SiteID != "acme" || ev.UID != tt.uid {
				t.Errorf("got name=%q source=%q known=%v site=%q uid=%q", ev.Name, ev.Source, ev.Known, ev.SiteID, ev.UID)
			}
			if !uuidRE.MatchString(ev.ID) {
				t.Errorf("ID %q is not a v8 UUID", ev.ID)
			}
			wantTS := tt.ts
			if wantTS.IsZero() {
				wantTS = received
			}
			if !ev.ClientTime.Equal(wantTS) || !ev.ReceivedAt.Equal(received) {
				t.Errorf("ClientTime %v, ReceivedAt %v; want %v, %v", ev.ClientTime, ev.ReceivedAt, wantTS, received)
			}
			if ev.Context.Country != tt.country || ev.Context.URL != tt.url {
				t.Errorf("country %q url %q", ev.Context.Country, ev.Context.URL)
			}
			if len(ev.Context.UTM) != len(tt.utm) {
				t.Errorf("UTM = %v, want %v", ev.Context.UTM, tt.utm)
			}
			for k, v := range tt.utm {
				if ev.Context.UTM[k] != v {
					t.Errorf("UTM[%s] = %q, want %q", k, ev.Context.UTM[k], v)
				}
			}
			parsed := parsedOf(t, body, ev.Data)
			if len(parsed) != len(tt.parsed) {
				t.Errorf("bridge_parsed = %v, want %v", parsed, tt.parsed)
			}
			for k, v := range tt.parsed {
				if parsed[k] != v {
					t.Errorf("bridge_parsed.%s = %q, want %q", k, parsed[k], v)
				}
			}
			if tt.parsed == nil && string(ev.Data) != strings.TrimSpace(string(body)) {
				t.Errorf("Data changed although nothing was parsed")
			}
			// The collector validates Data; the documented payloads must pass.
			if known, err := schemas.Validate(ev.Source, ev.Name, ev.Data); !known || err != nil {
				t.Errorf("schemas.Validate(Data) = %v, %v", known, err)
			}
		})
	}
}

func TestParseIDIsDeterministic(t *testing.T) {
	body := readWebhook(t, "call_successful.json")
	a, _ := Parse("acme", body, received)
	b, _ := Parse("acme", body, received.Add(time.Hour))
	c, _ := Parse("other", body, received)
	d, _ := Parse("acme", append([]byte(" "), body...), received)
	e, _ := Parse("acme", bytes.Replace(body, []byte(`"event"`), []byte(`"x":1,"event"`), 1), received)
	if a.ID != b.ID || a.ID != d.ID {
		t.Error("a resend got a different id")
	}
	if a.ID == c.ID || a.ID == e.ID {
		t.Error("different site or body got the same id")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		body      string
		want      string
		malformed bool
	}{
		{``, "popin webhook: invalid JSON: unexpected end of input", true},
		{`   `, "popin webhook: invalid JSON: unexpected end of input", true},
		{`{"event":"x"`, "popin webhook: invalid JSON: unexpected end of input", true},
		{`{"event":"x",}`, "popin webhook: invalid JSON: syntax error at byte 13", true},
		{`[{"event":"x"}]`, "popin webhook: want a JSON object, got array", true},
		{`"popin_call_missed"`, "popin webhook: want a JSON object, got string", true},
		{`null`, "popin webhook: want a JSON object, got null", true},
		{`42`, "popin webhook: want a JSON object, got number", true},
		{`{"event":"x"} {}`, "popin webhook: invalid JSON: data after the object", true},
		{"{\"event\":\"x\xff\"}", "popin webhook: not valid UTF-8", true},
		{`{}`, "popin webhook: event: required", false},
		{`{"user_id":"u"}`, "popin webhook: event: required", false},
		{`{"event":""}`, "popin webhook: event: empty", false},
		{`{"event":"  "}`, "popin webhook: event: empty", false},
		{`{"event":null}`, "popin webhook: event: want string, got null", false},
		{`{"event":7}`, "popin webhook: event: want string, got number", false},
		{`{"event":["popin_call_missed"]}`, "popin webhook: event: want string, got array", false},
		{`{"event":"` + strings.Repeat("x", 201) + `"}`, "popin webhook: event: longer than 200 bytes", false},
		{`{"event":"popin_call_missed","user_id":{"id":1}}`, "popin webhook: user_id: want string or number, got object", false},
		{`{"event":"popin_call_missed","user_id":true}`, "popin webhook: user_id: want string or number, got boolean", false},
	}
	for _, tt := range tests {
		_, err := Parse("acme", []byte(tt.body), received)
		if err == nil {
			t.Errorf("Parse(%q) succeeded", tt.body)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("Parse(%q)\n got %q\nwant %q", tt.body, err, tt.want)
		}
		if errors.Is(err, ErrMalformed) != tt.malformed || errors.Is(err, ErrInvalid) == tt.malformed {
			t.Errorf("Parse(%q): Is(ErrMalformed)=%v, want %v", tt.body, errors.Is(err, ErrMalformed), tt.malformed)
		}
	}
}

func TestParseLenientCases(t *testing.T) {
	tests := []struct {
		body    string
		name    string
		uid     string
		known   bool
		country string
	}{
		{`{"event":"popin_call_missed","user_id":12345678901234567890123456789}`, "popin_call_missed", "12345678901234567890123456789", true, ""},
		{`{"event":"popin_call_missed","user_id":null,"country_code":91}`, "popin_call_missed", "", true, "IN"},
		{`{"event":"popin_call_missed","country_code":"India"}`, "popin_call_missed", "", true, "IN"},
		{`{"event":"popin_call_missed","country_code":"nowhere","properties":{"customer_country_code":"+44"}}`, "popin_call_missed", "", true, "GB"},
		{`{"event":"popin_brand_new","user_id":"u1","properties":"odd"}`, "popin_brand_new", "u1", false, ""},
		{`{"event":" popin_call_missed ","timestamp":1e400}`, "popin_call_missed", "", true, ""},
		{`{"event":"popin_call_missed","timestamp":{"t":1},"properties":[1,2]}`, "popin_call_missed", "", true, ""},
		{`{"event":"a","event":"popin_call_missed"}`, "popin_call_missed", "", true, ""},
	}
	for _, tt := range tests {
		ev, err := Parse("acme", []byte(tt.body), received)
		if err != nil {
			t.Errorf("Parse(%s): %v", tt.body, err)
			continue
		}
		if ev.Name != tt.name || ev.UID != tt.uid || ev.Known != tt.known || ev.Context.Country != tt.country {
			t.Errorf("Parse(%s) = name %q uid %q known %v country %q", tt.body, ev.Name, ev.UID, ev.Known, ev.Context.Country)
		}
		if !ev.ClientTime.Equal(received) {
			t.Errorf("Parse(%s): ClientTime %v, want receivedAt", tt.body, ev.ClientTime)
		}
		if !json.Valid(ev.Data) {
			t.Errorf("Parse(%s): Data not valid JSON", tt.body)
		}
	}
}

func TestParseReplacesIncomingBridgeParsed(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{`{"event":"e","bridge_parsed":{"timestamp":"forged"},"timestamp":"2026-02-27 15:35:11"}`,
			`{"event":"e","timestamp":"2026-02-27 15:35:11","bridge_parsed":{"timestamp":"2026-02-27T15:35:11Z"}}`},
		{`{"bridge_parsed":1,"event":"e"}`, `{"event":"e"}`},
		{`{"event":"e", "x": [1, 2] , "timestamp":"1772206511"}` + "\n",
			`{"event":"e", "x": [1, 2] , "timestamp":"1772206511","bridge_parsed":{"timestamp":"2026-02-27T15:35:11Z"}}`},
	} {
		ev, err := Parse("acme", []byte(tt.body), received)
		if err != nil {
			t.Fatal(err)
		}
		if string(ev.Data) != tt.want {
			t.Errorf("Data\n got %s\nwant %s", ev.Data, tt.want)
		}
	}
}

func TestParseDoesNotRetainBody(t *testing.T) {
	body := []byte(`{"event":"popin_call_missed"}`)
	ev, _ := Parse("acme", body, received)
	body[2] = 'X'
	if string(ev.Data) != `{"event":"popin_call_missed"}` {
		t.Fatal("Data aliases the body")
	}
}
