package tiktok

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/ssrf"
)

// The request shape, header and hashing rules follow TikTok's Events API
// 2.0 documentation (https://business-api.tiktok.com/portal/docs?id=1771100865818625):
// POST /open_api/v1.3/event/track/ with Access-Token, event_source "web",
// event_source_id the pixel code, data[] of {event, event_time, event_id,
// user{email, phone, external_id, ttclid, ip, user_agent}, page{url}};
// email, phone and external_id SHA-256 hex of the normalised value. TikTok
// publishes no hash vectors: the expected hashes are computed here with
// crypto/sha256 from the normalised strings, independently of piinorm.

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// fakeTikTok answers like the Events API: HTTP status (200 when 0) and a
// JSON body with code (0: OK), keeping each request.
type fakeTikTok struct {
	mu     sync.Mutex
	status int
	code   int
	reqs   []ttReq
}

type ttReq struct {
	path, token string
	body        Request
}

func (f *fakeTikTok) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body Request
	if err := json.Unmarshal(raw, &body); err != nil || r.Method != http.MethodPost {
		w.WriteHeader(400)
		return
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, ttReq{r.URL.Path, r.Header.Get("Access-Token"), body})
	st, code := f.status, f.code
	f.mu.Unlock()
	if st == 0 {
		st = 200
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(st)
	msg := "OK"
	if code != 0 {
		msg = "something is wrong"
	}
	fmt.Fprintf(w, `{"code":%d,"message":%q,"request_id":"2026120610000001","data":{}}`, code, msg)
}

func newExporter(t *testing.T, mod func(*endpoint.Endpoint)) (*Exporter, *fakeTikTok) {
	t.Helper()
	f := &fakeTikTok{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	ep := endpoint.Endpoint{ID: "tt", Site: "acme", Type: endpoint.TypeTikTok, AccessToken: "tt-token",
		AdPlatforms: endpoint.AdPlatforms{PixelCode: "COQDA8RC77U2TMR44LI0"}, APIURL: srv.URL}
	if mod != nil {
		mod(&ep)
	}
	ep.ApplyDefaults()
	guard, _ := ssrf.New([]string{"127.0.0.0/8"})
	if err := ep.Validate(endpoint.Checks{Guard: guard}); err != nil {
		t.Fatal(err)
	}
	return New(ep, httpsend.New(guard, 5*time.Second, 4, 1<<16), nil, 100), f
}

func ev(id, name, data string) *event.Event {
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	return &event.Event{ID: id, SiteID: "acme", Name: name, AnonID: "aid-1", ClientTime: at, ReceivedAt: at, Data: json.RawMessage(data),
		Context: event.Context{URL: "https://acme.com/p?ttclid=E.C.P.abc123&x=1", Referrer: "https://tiktok.com/", IP: "203.0.113.5", UserAgent: "UA/1", UserID: " Cust-42 "}}
}

func TestEventMap(t *testing.T) {
	for _, tc := range []struct {
		name     string
		eventMap map[string]string
		in, out  string
	}{
		{"lead", nil, "popin_captured", "SubmitForm"},
		{"schedule", nil, "popin_schedule_created", "Schedule"},
		{"call end", nil, "popin_call_end", "Contact"},
		{"call successful", nil, "popin_call_successful", "Contact"},
		{"unmapped", nil, "nudge_show", ""},
		{"override", map[string]string{"popin_captured": "CompleteRegistration"}, "popin_captured", "CompleteRegistration"},
		{"drop", map[string]string{"popin_call_end": ""}, "popin_call_end", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, _ := newExporter(t, func(e *endpoint.Endpoint) { e.EventMap = tc.eventMap })
			if x.Wants(tc.in) != (tc.out != "") {
				t.Fatalf("Wants(%s)", tc.in)
			}
			if tc.out != "" {
				if got := x.Body([]exporter.Item{{Event: ev("e", tc.in, `{}`)}}).Data[0].Event; got != tc.out {
					t.Fatalf("event %q, want %q", got, tc.out)
				}
			}
		})
	}
}

func TestHashing(t *testing.T) {
	for _, tc := range []struct {
		name, data, region string
		email, phone       string // normalised, before hashing ("" none)
	}{
		{"browser", `{"name":"Asha","email":" Asha@Example.COM ","mobile":"98765 43210","country":"India"}`, "", "asha@example.com", "+919876543210"},
		{"dial code", `{"email":"x@y.com","mobile":"09876543210","country":"+91"}`, "", "x@y.com", "+919876543210"},
		{"default region", `{"mobile":"(415) 555-0100"}`, "US", "", "+14155550100"},
		{"server webhook", `{"country_code":"+91","phone_number":"9792521396","properties":{"customer_email":"R@K.in"}}`, "", "r@k.in", "+919792521396"},
		{"bad email", `{"email":"not-an-email"}`, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, _ := newExporter(t, func(e *endpoint.Endpoint) { e.DefaultRegion = tc.region })
			u := x.Body([]exporter.Item{{Event: ev("e", "popin_captured", tc.data)}}).Data[0].User
			want := func(s string) string {
				if s == "" {
					return ""
				}
				return sha(s)
			}
			if u.Email != want(tc.email) || u.Phone != want(tc.phone) || u.ExternalID != sha("cust-42") {
				t.Fatalf("user %+v, want email %q phone %q", u, tc.email, tc.phone)
			}
		})
	}
}

// TestExportRequestShape: one request for a batch, the documented shape,
// the Access-Token header (redacted in the log), and no raw PII.
func TestExportRequestShape(t *testing.T) {
	x, f := newExporter(t, func(e *endpoint.Endpoint) { e.TestEventCode = "TEST42" })
	a := ev("e1", "popin_captured", `{"name":"Asha Sharma","email":"asha@example.com","mobile":"+91 98765 43210"}`)
	b := ev("e2", "popin_call_end", `{}`)
	b.Context.Consent = map[string]bool{"ads": false} // no ttclid without ads consent
	res := x.Export(context.Background(), []exporter.Item{{Event: a}, {Event: b}})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(f.reqs) != 1 {
		t.Fatalf("%d requests", len(f.reqs))
	}
	r := f.reqs[0]
	if r.path != "/open_api/v1.3/event/track/" || r.token != "tt-token" {
		t.Fatalf("request: %s token %q", r.path, r.token)
	}
	body := r.body
	if body.EventSource != "web" || body.EventSourceID != "COQDA8RC77U2TMR44LI0" || body.TestEventCode != "TEST42" || len(body.Data) != 2 {
		t.Fatalf("body: %+v", body)
	}
	e := body.Data[0]
	if e.Event != "SubmitForm" || e.EventID != "e1" || e.EventTime != a.ClientTime.Unix() ||
		e.User.TTCLID != "E.C.P.abc123" || e.User.IP != "203.0.113.5" || e.User.UserAgent != "UA/1" ||
		e.Page.URL != a.Context.URL || e.Page.Referrer != "https://tiktok.com/" {
		t.Fatalf("event: %+v", e)
	}
	if body.Data[1].User.TTCLID != "" {
		t.Fatalf("ttclid sent without ads consent: %+v", body.Data[1].User)
	}
	if res.Request.Headers["access-token"] != "REDACTED" {
		t.Fatalf("logged headers %v", res.Request.Headers)
	}
	for _, raw := range []string{"asha", "Asha", "98765", "tt-token"} {
		if strings.Contains(string(res.Request.Body), raw) {
			t.Errorf("logged body carries %q", raw)
		}
	}
}

// TestErrorClasses: TikTok answers HTTP 200 with code != 0 for most
// failures; the code decides retry.
func TestErrorClasses(t *testing.T) {
	for _, tc := range []struct {
		status, code int
		ok, perm     bool
	}{
		{200, 0, true, false},
		{200, 40002, false, true},  // invalid parameters
		{200, 40105, false, true},  // bad access token
		{200, 40001, false, true},  // no permission
		{200, 40100, false, false}, // too many requests
		{200, 50000, false, false}, // server error
		{500, 0, false, false},
		{429, 0, false, false},
		{400, 0, false, true},
	} {
		t.Run(fmt.Sprintf("%d/%d", tc.status, tc.code), func(t *testing.T) {
			x, f := newExporter(t, nil)
			f.status, f.code = tc.status, tc.code
			res := x.Export(context.Background(), []exporter.Item{{Event: ev("e", "popin_captured", `{}`)}})
			if (res.Err == nil) != tc.ok || retry.IsPermanent(res.Err) != tc.perm {
				t.Fatalf("err %v permanent %v", res.Err, retry.IsPermanent(res.Err))
			}
			if tc.code != 0 && !strings.Contains(res.Err.Error(), fmt.Sprint(tc.code)) {
				t.Fatalf("error %q does not name the code", res.Err)
			}
		})
	}
}

func TestParseAnswer(t *testing.T) {
	for body, want := range map[string]int{`{"code":0,"message":"OK"}`: 0, `{"code":40002,"message":"x"}`: 40002, ``: 0, `<html>`: 0, `{"message":"no code"}`: 0} {
		got := 0
		if a := ParseAnswer([]byte(body)); a != nil {
			got = a.Code
		}
		if got != want {
			t.Errorf("ParseAnswer(%q) = %d, want %d", body, got, want)
		}
	}
}

func TestMatchKeys(t *testing.T) {
	x, _ := newExporter(t, nil)
	full := ev("e", "popin_captured", `{"email":"a@b.in","mobile":"9876543210","country":"India"}`)
	if got := x.MatchKeys(full); got != "email,phone,external_id,ttclid,ip,user_agent" {
		t.Fatalf("full: %q", got)
	}
	bare := &event.Event{ID: "e", Data: json.RawMessage(`{}`)}
	if got := x.MatchKeys(bare); got != "" {
		t.Fatalf("bare: %q", got)
	}
}
