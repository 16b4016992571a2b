package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/internal/httpsend"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/payload"
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/ssrf"
)

const hookPath = "/services/T0001/B0001/SeCrEtToKeN42"

// fakeSlack is an incoming webhook on loopback: it keeps each request and
// answers with the status and body of next (200 "ok" when unset).
type fakeSlack struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []recorded
	next func(w http.ResponseWriter)
}

type recorded struct {
	path, contentType string
	body              []byte
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{r.URL.Path, r.Header.Get("Content-Type"), b})
		next := f.next
		f.mu.Unlock()
		switch {
		case r.URL.Path != hookPath:
			w.WriteHeader(404)
			_, _ = io.WriteString(w, "no_service")
		case next != nil:
			next(w)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) last(t *testing.T) recorded {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("no request")
	}
	return f.reqs[len(f.reqs)-1]
}

func loopbackClient(t *testing.T) *httpsend.Client {
	g, err := ssrf.New([]string{"127.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	return httpsend.New(g, 5*time.Second, 2, 1<<16)
}

func newExporter(t *testing.T, url string, events ...string) *Exporter {
	ep := endpoint.Endpoint{ID: "sales", Site: "acme", Type: endpoint.TypeSlack, URL: url, Events: events}
	if err := ep.Validate(endpoint.Checks{}); err != nil {
		t.Fatal(err)
	}
	ep.ApplyDefaults()
	return New(ep, loopbackClient(t), nil)
}

func send(t *testing.T, x *Exporter, ev *event.Event) exporter.Result {
	t.Helper()
	return x.Export(context.Background(), []exporter.Item{{WebhookID: "msg_" + ev.ID, Event: ev}})
}

func ev(name, data string) *event.Event {
	return &event.Event{ID: "e1", SiteID: "acme", Name: name, ClientTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Data: json.RawMessage(data)}
}

// The documented request: one POST of {"text", "blocks": [header, section
// of fields, context]} as JSON to the webhook URL.
func TestLeadMessage(t *testing.T) {
	f := newFakeSlack(t)
	x := newExporter(t, f.srv.URL+hookPath)
	res := send(t, x, payload.Sample())
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	r := f.last(t)
	if r.path != hookPath || !strings.HasPrefix(r.contentType, "application/json") {
		t.Fatalf("path %q content-type %q", r.path, r.contentType)
	}
	want := `{"text":"New lead: Asha Rao","blocks":[` +
		`{"type":"header","text":{"type":"plain_text","text":"New lead: Asha Rao"}},` +
		`{"type":"section","fields":[{"type":"mrkdwn","text":"*Name*\nAsha Rao"},` +
		`{"type":"mrkdwn","text":"*E-mail*\n<mailto:asha@example.com|asha@example.com>"},` +
		`{"type":"mrkdwn","text":"*Phone*\n+919876543210"},` +
		`{"type":"mrkdwn","text":"*Place*\nBengaluru, IN"}]},` +
		`{"type":"context","elements":[{"type":"mrkdwn","text":"Page: <https://www.example.com/p/1|https://www.example.com/p/1>"},` +
		`{"type":"mrkdwn","text":"Campaign: utm_source=sample"},` +
		`{"type":"mrkdwn","text":"Site sample · popin_captured · 2026-01-02 03:04 UTC"}]}]}`
	if string(r.body) != want {
		t.Fatalf("body\n%s\nwant\n%s", r.body, want)
	}
	if res.Request.URL != "http://"+f.srv.Listener.Addr().String()+"/REDACTED" || !res.Request.RawPII {
		t.Fatalf("logged request: url %q raw_pii %v", res.Request.URL, res.Request.RawPII)
	}
	if string(res.Request.Body) != want {
		t.Fatal("the logged body is not the body sent")
	}
}

func TestCallAndOtherMessages(t *testing.T) {
	f := newFakeSlack(t)
	x := newExporter(t, f.srv.URL+hookPath, "*", "nudge_show")
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{"popin_call_successful", `{"event":"call_successful","email":"Lee@Example.org","full_phone_number":"+442079460958",` +
			`"properties":{"customer_name":"Lee Chan","call_duration":"185","agent_name":"Ravi","url":"https://shop.example.com/x?y=1&z=<2>",` +
			`"meta":{"utm_source":"google","utm_campaign":"spring","ref":"x"}}}`,
			[]string{`"text":"Call successful: Lee Chan"`, `*Outcome*\nsuccessful`, `*Duration*\n3 min 05 s`, `*Agent*\nRavi`,
				`*E-mail*\n<mailto:lee@example.org|lee@example.org>`, `*Phone*\n+442079460958`,
				`Page: <https://shop.example.com/x?y=1&amp;z=%3C2%3E|https://shop.example.com/x?y=1&amp;z=&lt;2&gt;>`,
				`Campaign: utm_campaign=spring · utm_source=google`}},
		{"popin_call_end", `{"uid":"u1","callId":42}`, []string{`"text":"Call ended"`, `*Outcome*\nended`}},
		{"popin_call_rated", `{"properties":{"customer_name":"Lee","rating":"4","comments":"quick & kind"}}`,
			[]string{`"text":"Call rated 4: Lee"`, `*Rating*\n4`, `*Comment*\nquick &amp; kind`}},
		{"popin_scheduled_created", `{"properties":{"scheduled_date":"27-Feb-2026","scheduled_time":"09:30 PM"}}`,
			[]string{`"text":"Call scheduled"`, `*Scheduled*\n27-Feb-2026 09:30 PM`}},
		{"popin_schedule_created", `{"uid":"u","time":"10:00","timezone":"Asia/Kolkata"}`,
			[]string{`*Scheduled*\n10:00 Asia/Kolkata`}},
		// Visitor input cannot mention the channel or make a link.
		{"popin_captured", `{"name":"<!channel> Bob <https://evil.example|click>","group":"A&B"}`,
			[]string{`*Name*\n&lt;!channel&gt; Bob &lt;https://evil.example|click&gt;`, `*Group*\nA&amp;B`}},
		{"nudge_show", `{}`, []string{`"text":"Event nudge_show"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := send(t, x, ev(tc.name, tc.data)); res.Err != nil {
				t.Fatal(res.Err)
			}
			body := string(f.last(t).body)
			var m Message
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(m) // escapes as the expectations do: via JSON strings
			s := strings.ReplaceAll(string(raw), `\u0026`, "&")
			s = strings.ReplaceAll(strings.ReplaceAll(s, `\u003c`, "<"), `\u003e`, ">")
			for _, w := range tc.want {
				w = strings.ReplaceAll(w, "\n", `\n`)
				if !strings.Contains(s, w) {
					t.Errorf("missing %s in\n%s", w, s)
				}
			}
		})
	}
}

func TestWants(t *testing.T) {
	x := newExporter(t, "https://hooks.slack.com"+hookPath, "popin_*", "nudge_show")
	for name, want := range map[string]bool{
		"popin_captured": true, "popin_call_successful": true, "popin_call_rated": true, "popin_scheduled_created": true,
		"nudge_show": true, "popin_widget_open": false, "popin_permission_given": false,
	} {
		if x.Wants(name) != want {
			t.Errorf("Wants(%s) = %v", name, !want)
		}
	}
	if x.MaxBatch() != 1 || len(DefaultEvents()) != len(defaultEvents) {
		t.Fatal("one message per event")
	}
}

// Slack's answers and their classes: 200 "ok"; 400 invalid_payload and
// 403/404 (a revoked webhook) permanent; 410 permanent and gone; 429 with
// Retry-After and 5xx retried.
func TestErrorClasses(t *testing.T) {
	f := newFakeSlack(t)
	x := newExporter(t, f.srv.URL+hookPath)
	for _, tc := range []struct {
		status     int
		answer     string
		header     string
		permanent  bool
		gone       bool
		retryAfter time.Duration
	}{
		{200, "ok", "", false, false, 0},
		{400, "invalid_payload", "", true, false, 0},
		{403, "action_prohibited", "", true, false, 0},
		{404, "channel_not_found", "", true, false, 0},
		{410, "channel_is_archived", "", true, true, 0},
		{429, "rate_limited", "7", false, false, 7 * time.Second},
		{500, "rollup_error", "", false, false, 0},
		{503, "", "", false, false, 0},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			f.mu.Lock()
			f.next = func(w http.ResponseWriter) {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.answer)
			}
			f.mu.Unlock()
			res := send(t, x, payload.Sample())
			if res.StatusCode != tc.status {
				t.Fatalf("status %d", res.StatusCode)
			}
			if tc.status == 200 {
				if res.Err != nil {
					t.Fatal(res.Err)
				}
				return
			}
			if res.Err == nil || retry.IsPermanent(res.Err) != tc.permanent || res.Gone != tc.gone || res.RetryAfter != tc.retryAfter {
				t.Fatalf("err %v permanent %v gone %v retry-after %v", res.Err, retry.IsPermanent(res.Err), res.Gone, res.RetryAfter)
			}
			want := fmt.Sprintf("slack: HTTP %d %s", tc.status, tc.answer)
			if strings.TrimSpace(res.Err.Error()) != strings.TrimSpace(want) {
				t.Fatalf("error %q, want %q", res.Err, want)
			}
			var se *retry.StatusError
			if !errors.As(res.Err, &se) || se.Code != tc.status {
				t.Fatal("the status classification is not kept")
			}
		})
	}
}

// The webhook URL never shows in an error or the delivery log.
func TestURLStaysSecret(t *testing.T) {
	f := newFakeSlack(t)
	url := f.srv.URL + hookPath
	f.srv.Close() // connection refused: a retryable network error
	x := newExporter(t, url)
	res := send(t, x, payload.Sample())
	if res.Err == nil || retry.IsPermanent(res.Err) {
		t.Fatalf("want a retryable error, got %v", res.Err)
	}
	if strings.Contains(res.Err.Error(), "SeCrEt") || strings.Contains(res.Request.URL, "SeCrEt") {
		t.Fatalf("secret in %q / %q", res.Err, res.Request.URL)
	}
	// An error that quotes the URL (as net/http's url.Error does) is scrubbed
	// and keeps its class.
	err := scrub(retry.Permanent(fmt.Errorf("Post %q: tls: bad certificate", url)), url)
	if strings.Contains(err.Error(), "SeCrEt") || !retry.IsPermanent(err) || !strings.Contains(err.Error(), "/REDACTED") {
		t.Fatalf("scrub: %v", err)
	}
	// A refusal of the SSRF guard is permanent and names only the address.
	g, _ := ssrf.New(nil)
	ep := endpoint.Endpoint{ID: "s", Site: "acme", Type: endpoint.TypeSlack, URL: url}
	res = New(ep, httpsend.New(g, time.Second, 1, 1<<10), nil).Export(context.Background(), []exporter.Item{{WebhookID: "m", Event: payload.Sample()}})
	if !retry.IsPermanent(res.Err) || !errors.Is(res.Err, ssrf.ErrBlocked) || strings.Contains(res.Err.Error(), "SeCrEt") {
		t.Fatalf("ssrf: %v", res.Err)
	}
}
