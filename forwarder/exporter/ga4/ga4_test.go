package ga4

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
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

// fakeMP is a loopback Measurement Protocol: /mp/collect answers status
// (204 when 0, as Google does for every payload it receives) and keeps
// each request's query and body.
type fakeMP struct {
	mu     sync.Mutex
	status int
	reqs   []mpReq
}

type mpReq struct {
	path, measurementID, apiSecret string
	body                           Request
}

func (f *fakeMP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body Request
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &body); err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad request", 400)
		return
	}
	q := r.URL.Query()
	f.mu.Lock()
	f.reqs = append(f.reqs, mpReq{r.URL.Path, q.Get("measurement_id"), q.Get("api_secret"), body})
	st := f.status
	f.mu.Unlock()
	if st == 0 {
		st = http.StatusNoContent
	}
	if st == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "3")
	}
	w.WriteHeader(st)
}

func newExporter(t *testing.T, mod func(*endpoint.Endpoint)) (*Exporter, *fakeMP) {
	t.Helper()
	f := &fakeMP{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	ep := endpoint.Endpoint{ID: "ga", Site: "acme", Type: endpoint.TypeGA4,
		AdPlatforms: endpoint.AdPlatforms{MeasurementID: "G-TEST123", APISecret: "s3cr/et"}, APIURL: srv.URL + "/"}
	if mod != nil {
		mod(&ep)
	}
	ep.ApplyDefaults()
	guard, err := ssrf.New([]string{"127.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ep.Validate(endpoint.Checks{Guard: guard}); err != nil {
		t.Fatal(err)
	}
	return New(ep, httpsend.New(guard, 5*time.Second, 4, 1<<16)), f
}

func lead(id, aid, name string, at time.Time) *event.Event {
	return &event.Event{ID: id, SiteID: "acme", Name: name, AnonID: aid, ClientTime: at, ReceivedAt: at,
		Data: json.RawMessage(`{"name":"Asha Sharma","email":"asha@example.com","mobile":"9876543210"}`),
		Context: event.Context{URL: "https://acme.com/pricing", Referrer: "https://google.com/", Title: "Pricing",
			Consent: map[string]bool{"ad_user_data": true}, UserID: "cust-42"}}
}

// wantClientID computes the documented derivation independently.
func wantClientID(aid string) string {
	h := sha256.Sum256([]byte("ga4:" + aid))
	return fmt.Sprintf("%d.%d", binary.BigEndian.Uint32(h[:4]), binary.BigEndian.Uint32(h[4:8]))
}

func TestEventMap(t *testing.T) {
	for _, tc := range []struct {
		name     string
		eventMap map[string]string
		in, out  string
	}{
		{"lead", nil, "popin_captured", "generate_lead"},
		{"schedule", nil, "popin_schedule_created", "popin_schedule_created"},
		{"call end", nil, "popin_call_end", "popin_call_end"},
		{"call successful", nil, "popin_call_successful", "popin_call_successful"},
		{"unmapped", nil, "nudge_show", ""},
		{"override", map[string]string{"popin_captured": "sign_up"}, "popin_captured", "sign_up"},
		{"drop", map[string]string{"popin_call_end": ""}, "popin_call_end", ""},
		{"extend", map[string]string{"nudge_show": "view_promotion"}, "nudge_show", "view_promotion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, _ := newExporter(t, func(e *endpoint.Endpoint) { e.EventMap = tc.eventMap })
			if x.Wants(tc.in) != (tc.out != "") {
				t.Fatalf("Wants(%s) = %v", tc.in, !(tc.out != ""))
			}
			if tc.out != "" {
				if got := x.Requests([]exporter.Item{{Event: lead("e1", "a1", tc.in, time.Now())}})[0].Events[0].Name; got != tc.out {
					t.Fatalf("name %q, want %q", got, tc.out)
				}
			}
		})
	}
}

// TestExportRequestShape: a batch of three events of two visitors is two
// requests to /mp/collect with the measurement id and secret in the query,
// the derived client_id, user_id, consent and the documented params — and
// nothing of the payload.
func TestExportRequestShape(t *testing.T) {
	x, f := newExporter(t, nil)
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	a1, a2 := lead("e1", "aid-A", "popin_captured", at), lead("e2", "aid-B", "popin_call_end", at.Add(time.Second))
	a3 := lead("e3", "aid-A", "popin_call_end", at.Add(2*time.Second))
	a2.Context.UserID, a2.Context.Consent = "", map[string]bool{"ads": false}
	res := x.Export(context.Background(), []exporter.Item{{Event: a1}, {Event: a2}, {Event: a3}})
	if res.Err != nil || res.StatusCode != 204 {
		t.Fatalf("export: %d %v", res.StatusCode, res.Err)
	}
	if len(f.reqs) != 2 {
		t.Fatalf("%d requests, want 2 (one per visitor)", len(f.reqs))
	}
	r := f.reqs[0]
	if r.path != "/mp/collect" || r.measurementID != "G-TEST123" || r.apiSecret != "s3cr/et" {
		t.Fatalf("request line: %+v", r)
	}
	b := r.body
	if b.ClientID != wantClientID("aid-A") || b.UserID != "cust-42" || len(b.Events) != 2 || b.TimestampMicros != at.UnixMicro() {
		t.Fatalf("body A: %+v", b)
	}
	if b.Consent == nil || b.Consent.AdUserData != "GRANTED" || b.Consent.AdPersonalization != "GRANTED" {
		t.Fatalf("consent A: %+v", b.Consent)
	}
	e := b.Events[0]
	want := map[string]any{"event_id": "e1", "engagement_time_msec": float64(1), "source": "popinbridge",
		"page_location": "https://acme.com/pricing", "page_referrer": "https://google.com/", "page_title": "Pricing"}
	if e.Name != "generate_lead" || e.TimestampMicros != at.UnixMicro() || fmt.Sprint(e.Params) != fmt.Sprint(want) {
		t.Fatalf("event: %+v", e)
	}
	if b.Events[1].Name != "popin_call_end" || b.Events[1].Params["event_id"] != "e3" {
		t.Fatalf("second event of A: %+v", b.Events[1])
	}
	bB := f.reqs[1].body
	if bB.ClientID != wantClientID("aid-B") || bB.UserID != "" || bB.Consent == nil || bB.Consent.AdUserData != "DENIED" {
		t.Fatalf("body B: %+v", bB)
	}
	logged := string(res.Request.Body)
	for _, raw := range []string{"asha", "Asha", "9876", "aid-A"} {
		if strings.Contains(logged, raw) {
			t.Errorf("request carries %q: %s", raw, logged)
		}
	}
	if strings.Contains(res.Request.URL, "s3cr") || !strings.Contains(res.Request.URL, "api_secret=REDACTED") {
		t.Errorf("logged URL %q", res.Request.URL)
	}
}

func TestErrorClasses(t *testing.T) {
	for _, tc := range []struct {
		status    int
		ok, perm  bool
		retryWait time.Duration
	}{
		{204, true, false, 0},
		{200, true, false, 0},
		{400, false, true, 0},
		{403, false, true, 0},
		{429, false, false, 3 * time.Second},
		{500, false, false, 0},
		{503, false, false, 0},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			x, f := newExporter(t, nil)
			f.status = tc.status
			res := x.Export(context.Background(), []exporter.Item{{Event: lead("e1", "a", "popin_captured", time.Now())}})
			if (res.Err == nil) != tc.ok || retry.IsPermanent(res.Err) != tc.perm || res.RetryAfter != tc.retryWait || res.Gone {
				t.Fatalf("status %d: err %v permanent %v retry-after %v", tc.status, res.Err, retry.IsPermanent(res.Err), res.RetryAfter)
			}
		})
	}
}

// TestFirstFailureStops: with two visitors, a failing first request is the
// attempt's outcome and the second is not sent.
func TestFirstFailureStops(t *testing.T) {
	x, f := newExporter(t, nil)
	f.status = 500
	res := x.Export(context.Background(), []exporter.Item{{Event: lead("e1", "a", "popin_captured", time.Now())}, {Event: lead("e2", "b", "popin_captured", time.Now())}})
	if res.Err == nil || len(f.reqs) != 1 {
		t.Fatalf("err %v after %d requests", res.Err, len(f.reqs))
	}
}

func TestNetworkErrorHidesSecret(t *testing.T) {
	guard, _ := ssrf.New([]string{"127.0.0.0/8"})
	ep := endpoint.Endpoint{Type: endpoint.TypeGA4, AdPlatforms: endpoint.AdPlatforms{MeasurementID: "G-T1234", APISecret: "topsecret"}, APIURL: "http://127.0.0.1:1"}
	x := New(ep, httpsend.New(guard, time.Second, 1, 1<<10))
	res := x.Export(context.Background(), []exporter.Item{{Event: lead("e1", "a", "popin_captured", time.Now())}})
	if res.Err == nil || retry.IsPermanent(res.Err) || strings.Contains(res.Err.Error(), "topsecret") || strings.Contains(res.Request.URL, "topsecret") {
		t.Fatalf("err %v url %s", res.Err, res.Request.URL)
	}
}

func TestCheckAge(t *testing.T) {
	x, _ := newExporter(t, nil)
	now := time.Now()
	if err := x.Check(exporter.Item{Event: lead("e", "a", "popin_captured", now.Add(-70*time.Hour))}, now); err != nil {
		t.Fatalf("70 h: %v", err)
	}
	if err := x.Check(exporter.Item{Event: lead("e", "a", "popin_captured", now.Add(-73*time.Hour))}, now); !retry.IsPermanent(err) {
		t.Fatalf("73 h: %v", err)
	}
}

func TestClientIDFallbacks(t *testing.T) {
	if ClientID(&event.Event{ID: "e", AnonID: "a"}) != wantClientID("a") || ClientID(&event.Event{ID: "e", UID: "u"}) != wantClientID("u") ||
		ClientID(&event.Event{ID: "e"}) != wantClientID("e") {
		t.Fatal("client_id derivation")
	}
}

// TestClientIDFromGACookie: ctx.ga_client_id (the _ga cookie's client id)
// is the client_id when it is valid and analytics is not denied; otherwise
// the aid-derived id, as before.
func TestClientIDFromGACookie(t *testing.T) {
	const ga = "1234567890.1763920000"
	for _, tc := range []struct {
		name    string
		ga      string
		consent map[string]bool
		want    string
	}{
		{"valid", ga, nil, ga},
		{"analytics granted", ga, map[string]bool{"analytics": true}, ga},
		{"ads denied only", ga, map[string]bool{"ads": false}, ga},
		{"analytics denied", ga, map[string]bool{"analytics": false}, wantClientID("a")},
		{"analytics_storage denied", ga, map[string]bool{"analytics_storage": false}, wantClientID("a")},
		{"tcf analytics denied", ga, map[string]bool{"tcf_analytics": false}, wantClientID("a")},
		{"absent", "", nil, wantClientID("a")},
		{"raw cookie", "GA1.1." + ga, nil, wantClientID("a")},
		{"not digits", "abc.def", nil, wantClientID("a")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := &event.Event{ID: "e", AnonID: "a", Context: event.Context{GAClientID: tc.ga, Consent: tc.consent}}
			if got := ClientID(ev); got != tc.want {
				t.Fatalf("client_id %q, want %q", got, tc.want)
			}
		})
	}
	// Two events of one visitor, one with the cookie's id and one without,
	// are two requests (two GA4 clients).
	x, f := newExporter(t, nil)
	a, b := lead("e1", "aid-A", "popin_captured", time.Now()), lead("e2", "aid-A", "popin_call_end", time.Now())
	a.Context.GAClientID = ga
	if res := x.Export(context.Background(), []exporter.Item{{Event: a}, {Event: b}}); res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(f.reqs) != 2 || f.reqs[0].body.ClientID != ga || f.reqs[1].body.ClientID != wantClientID("aid-A") {
		t.Fatalf("requests %+v", f.reqs)
	}
}
