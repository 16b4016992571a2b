package hubspot

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
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/ssrf"
)

const token = "pat-na1-test-token"

// fakeHubSpot is the batch upsert on loopback: it checks the method, path
// and token, keeps each body and answers with next (200 when unset).
type fakeHubSpot struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	hdrs   []http.Header
	next   func(w http.ResponseWriter)
}

func newFakeHubSpot(t *testing.T) *fakeHubSpot {
	f := &fakeHubSpot{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies, f.hdrs = append(f.bodies, b), append(f.hdrs, r.Header.Clone())
		next := f.next
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method != http.MethodPost || r.URL.Path != UpsertPath:
			w.WriteHeader(404)
		case r.Header.Get("Authorization") != "Bearer "+token:
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION"}`)
		case next != nil:
			next(w)
		default:
			_, _ = io.WriteString(w, `{"status":"COMPLETE","results":[]}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeHubSpot) last(t *testing.T) ([]byte, http.Header) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bodies) == 0 {
		t.Fatal("no request")
	}
	return f.bodies[len(f.bodies)-1], f.hdrs[len(f.hdrs)-1]
}

func newExporter(t *testing.T, apiURL string, mod func(*endpoint.Endpoint)) *Exporter {
	ep := endpoint.Endpoint{ID: "hs", Site: "acme", Type: endpoint.TypeHubSpot, AccessToken: token, APIURL: apiURL}
	if mod != nil {
		mod(&ep)
	}
	if err := ep.Validate(endpoint.Checks{}); err != nil {
		t.Fatal(err)
	}
	ep.ApplyDefaults()
	g, err := ssrf.New([]string{"127.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	return New(ep, httpsend.New(g, 5*time.Second, 2, 1<<16), nil)
}

func item(id, name, data string, ctx event.Context) exporter.Item {
	return exporter.Item{WebhookID: "msg_" + id, Event: &event.Event{ID: id, SiteID: "acme", Name: name, Data: json.RawMessage(data), Context: ctx}}
}

// The documented request: POST /crm/v3/objects/contacts/batch/upsert with
// the token as Bearer and {"inputs": [{"idProperty": "email", "id", "properties"}]},
// one input per e-mail, property_map applied.
func TestUpsertRequest(t *testing.T) {
	f := newFakeHubSpot(t)
	x := newExporter(t, f.srv.URL, func(e *endpoint.Endpoint) {
		e.DefaultRegion = "IN"
		e.PropertyMap = map[string]string{"utm_source": "popin_utm_source", "utm_campaign": "popin_utm_campaign",
			"page_url": "popin_page", "data.group": "popin_group", "event_name": "popin_last_event"}
	})
	items := []exporter.Item{
		item("e1", "popin_captured", `{"name":"Asha Rani Rao","email":"Asha@Example.com","mobile":"98765 43210","city":"Bengaluru","pin_code":"560001","group":"sales"}`,
			event.Context{URL: "https://shop.example.com/p/1", UTM: map[string]string{"utm_source": "google", "utm_campaign": "spring"}}),
		item("e2", "popin_user_captured", `{"email":"lee@example.org","full_phone_number":"+442079460958","properties":{"customer_name":"Lee","url":"https://shop.example.com/x","meta":{"utm_source":"newsletter"}}}`,
			event.Context{}),
		item("e3", "popin_captured", `{"email":"asha@example.com","country":"IN"}`, event.Context{UTM: map[string]string{"utm_source": "meta"}}),
	}
	res := x.Export(context.Background(), items)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	body, hdr := f.last(t)
	if hdr.Get("Authorization") != "Bearer "+token || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", hdr)
	}
	want := `{"inputs":[` +
		`{"idProperty":"email","id":"asha@example.com","properties":{"city":"Bengaluru","country":"IN","email":"asha@example.com","firstname":"Asha",` +
		`"lastname":"Rani Rao","phone":"+919876543210","popin_group":"sales","popin_last_event":"popin_captured","popin_page":"https://shop.example.com/p/1",` +
		`"popin_utm_campaign":"spring","popin_utm_source":"meta","zip":"560001"}},` +
		`{"idProperty":"email","id":"lee@example.org","properties":{"email":"lee@example.org","firstname":"Lee","phone":"+442079460958",` +
		`"popin_last_event":"popin_user_captured","popin_page":"https://shop.example.com/x","popin_utm_source":"newsletter"}}]}`
	if string(body) != want {
		t.Fatalf("body\n%s\nwant\n%s", body, want)
	}
	if res.Request.URL != f.srv.URL+UpsertPath || res.Request.Headers["authorization"] != "REDACTED" || !res.Request.RawPII {
		t.Fatalf("logged request: %q %v raw %v", res.Request.URL, res.Request.Headers, res.Request.RawPII)
	}
	if strings.Contains(string(res.Request.Body), token) {
		t.Fatal("token in the logged body")
	}
}

// Events without an e-mail are refused before sending (permanent, never
// retried); a batch of only such events sends nothing.
func TestNoIdentity(t *testing.T) {
	f := newFakeHubSpot(t)
	x := newExporter(t, f.srv.URL, nil)
	noMail := item("e1", "popin_captured", `{"name":"Asha","mobile":"9876543210"}`, event.Context{})
	bad := item("e2", "popin_captured", `{"email":"not an address"}`, event.Context{})
	for _, it := range []exporter.Item{noMail, bad} {
		err := x.Check(it, time.Now())
		if !retry.IsPermanent(err) || !errors.Is(err, ErrNoIdentity) {
			t.Fatalf("Check(%s) = %v", it.Event.ID, err)
		}
	}
	ok := item("e3", "popin_captured", `{"email":"a@example.com"}`, event.Context{})
	if err := x.Check(ok, time.Now()); err != nil {
		t.Fatal(err)
	}
	res := x.Export(context.Background(), []exporter.Item{noMail})
	if !errors.Is(res.Err, ErrNoIdentity) || !retry.IsPermanent(res.Err) || res.StatusCode != 0 {
		t.Fatalf("export: %v", res.Err)
	}
	f.mu.Lock()
	n := len(f.bodies)
	f.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d requests sent", n)
	}
	if !x.Wants("popin_captured") || !x.Wants("popin_user_captured") || x.Wants("popin_call_end") || x.MaxBatch() != 100 {
		t.Fatal("default events / batch")
	}
	y := newExporter(t, f.srv.URL, func(e *endpoint.Endpoint) { e.Events = []string{"popin_*", "popin_scheduled_created"} })
	if !y.Wants("popin_scheduled_created") || y.Wants("popin_call_end") {
		t.Fatal("explicit names")
	}
}

func TestErrorClasses(t *testing.T) {
	f := newFakeHubSpot(t)
	x := newExporter(t, f.srv.URL, nil)
	it := item("e1", "popin_captured", `{"email":"a@example.com"}`, event.Context{})
	for _, tc := range []struct {
		name       string
		status     int
		header     [2]string
		body       string
		ok         bool
		permanent  bool
		retryAfter time.Duration
		msg        string
	}{
		{"ok", 200, [2]string{}, `{"status":"COMPLETE"}`, true, false, 0, ""},
		{"multi-status without errors", 207, [2]string{}, `{"status":"COMPLETE","numErrors":0}`, true, false, 0, ""},
		{"multi-status with errors", 207, [2]string{}, `{"status":"COMPLETE","numErrors":1,"errors":[{"status":"error","category":"VALIDATION_ERROR","message":"Property values were not valid"}]}`,
			false, true, 0, "hubspot: HTTP 207 MULTI_STATUS (1 failed; first: VALIDATION_ERROR Property values were not valid)"},
		{"invalid input", 400, [2]string{}, `{"status":"error","message":"Property values were not valid","category":"VALIDATION_ERROR"}`,
			false, true, 0, "hubspot: HTTP 400 VALIDATION_ERROR: Property values were not valid"},
		{"unauthorized", 401, [2]string{}, `{"status":"error","message":"expired","category":"EXPIRED_AUTHENTICATION"}`, false, true, 0, "hubspot: HTTP 401 EXPIRED_AUTHENTICATION: expired"},
		{"missing scope", 403, [2]string{}, `{"status":"error","message":"missing scopes","category":"MISSING_SCOPES"}`, false, true, 0, "hubspot: HTTP 403 MISSING_SCOPES: missing scopes"},
		{"conflict", 409, [2]string{}, `{"status":"error","message":"Contact already exists","category":"CONFLICT"}`, false, true, 0, "hubspot: HTTP 409 CONFLICT: Contact already exists"},
		{"gone is not the endpoint", 410, [2]string{}, ``, false, true, 0, "hubspot: HTTP 410"},
		{"429 retry-after", 429, [2]string{"Retry-After", "3"}, `{"status":"error","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}`, false, false, 3 * time.Second, "hubspot: HTTP 429"},
		{"429 interval header", 429, [2]string{"X-HubSpot-RateLimit-Interval-Milliseconds", "2000"}, `{"policyName":"TEN_SECONDLY_ROLLING"}`, false, false, 2 * time.Second, "hubspot: HTTP 429"},
		{"429 burst", 429, [2]string{}, `{"policyName":"TEN_SECONDLY_ROLLING"}`, false, false, 10 * time.Second, "hubspot: HTTP 429"},
		{"429 daily", 429, [2]string{}, `{"message":"You have reached your daily limit.","policyName":"DAILY"}`, false, false, time.Hour, "hubspot: HTTP 429: You have reached your daily limit."},
		{"500", 500, [2]string{}, `{"status":"error","message":"internal error","category":"INTERNAL_ERROR"}`, false, false, 0, "hubspot: HTTP 500 INTERNAL_ERROR: internal error"},
		{"502 not json", 502, [2]string{}, `<html>bad gateway</html>`, false, false, 0, "hubspot: HTTP 502"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.mu.Lock()
			f.next = func(w http.ResponseWriter) {
				if tc.header[0] != "" {
					w.Header().Set(tc.header[0], tc.header[1])
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}
			f.mu.Unlock()
			res := x.Export(context.Background(), []exporter.Item{it})
			if res.StatusCode != tc.status {
				t.Fatalf("status %d", res.StatusCode)
			}
			if tc.ok {
				if res.Err != nil {
					t.Fatal(res.Err)
				}
				return
			}
			if res.Err == nil || retry.IsPermanent(res.Err) != tc.permanent || res.RetryAfter != tc.retryAfter || res.Gone {
				t.Fatalf("err %v permanent %v retry-after %v gone %v", res.Err, retry.IsPermanent(res.Err), res.RetryAfter, res.Gone)
			}
			if res.Err.Error() != tc.msg {
				t.Fatalf("error %q, want %q", res.Err, tc.msg)
			}
		})
	}
	// A bad token is permanent (the fake answers 401 to any other token).
	y := newExporter(t, f.srv.URL, func(e *endpoint.Endpoint) { e.AccessToken = "pat-revoked" })
	f.mu.Lock()
	f.next = nil
	f.mu.Unlock()
	if res := y.Export(context.Background(), []exporter.Item{it}); res.StatusCode != 401 || !retry.IsPermanent(res.Err) {
		t.Fatalf("revoked token: %d %v", res.StatusCode, res.Err)
	}
	// No answer: retryable, as httpsend classifies it.
	f.srv.Close()
	if res := x.Export(context.Background(), []exporter.Item{it}); res.Err == nil || retry.IsPermanent(res.Err) {
		t.Fatalf("network error: %v", res.Err)
	}
}

// A full batch is one request of MaxBatch inputs.
func TestFullBatch(t *testing.T) {
	f := newFakeHubSpot(t)
	x := newExporter(t, f.srv.URL, nil)
	items := make([]exporter.Item, MaxBatch)
	for i := range items {
		items[i] = item(fmt.Sprint(i), "popin_captured", fmt.Sprintf(`{"email":"lead%d@example.com"}`, i), event.Context{})
	}
	if res := x.Export(context.Background(), items); res.Err != nil {
		t.Fatal(res.Err)
	}
	body, _ := f.last(t)
	var req Request
	if err := json.Unmarshal(body, &req); err != nil || len(req.Inputs) != MaxBatch {
		t.Fatalf("%d inputs, %v", len(req.Inputs), err)
	}
}
