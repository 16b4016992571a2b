package forwarder

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dlv "github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/testkit"
)

// salesFake is a loopback Slack webhook or HubSpot API: it keeps each
// request body and answers with answer(n) for the n-th request.
type salesFake struct {
	srv    *httptest.Server
	mu     sync.Mutex
	n      int
	bodies []string
	auth   []string
	answer func(n int, w http.ResponseWriter)
}

func newSalesFake(t *testing.T, path string, answer func(n int, w http.ResponseWriter)) *salesFake {
	s := &salesFake{answer: answer}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path != path {
			w.WriteHeader(404)
			return
		}
		s.mu.Lock()
		s.n++
		n := s.n
		s.bodies, s.auth = append(s.bodies, string(b)), append(s.auth, r.Header.Get("Authorization"))
		s.mu.Unlock()
		s.answer(n, w)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *salesFake) got() ([]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...), append([]string(nil), s.auth...)
}

// A lead reaches Slack as a message and HubSpot as a contact upsert; a
// lead without e-mail is a Slack message and, for HubSpot, a dead letter
// "no identity" that is never sent; a server call webhook is a Slack
// message only. HubSpot's first answer is a 429 with Retry-After: the
// upsert is retried and delivered.
func TestSalesDestinations(t *testing.T) {
	const hook = "/services/T1/B1/SecretPart"
	sl := newSalesFake(t, hook, func(_ int, w http.ResponseWriter) { _, _ = io.WriteString(w, "ok") })
	hs := newSalesFake(t, "/crm/v3/objects/contacts/batch/upsert", func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			_, _ = io.WriteString(w, `{"status":"error","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}`)
			return
		}
		_, _ = io.WriteString(w, `{"status":"COMPLETE","results":[{"id":"1","new":true}]}`)
	})
	e := newEnv(t, testConfig(
		endpoint.Endpoint{ID: "slack", Site: "acme", Type: endpoint.TypeSlack, URL: sl.srv.URL + hook},
		endpoint.Endpoint{ID: "hubspot", Site: "acme", Type: endpoint.TypeHubSpot, AccessToken: "pat-test", APIURL: hs.srv.URL,
			PropertyMap: map[string]string{"page_url": "popin_page"}}))

	lead := testEvent("popin_captured")
	noMail := testEvent("popin_captured")
	noMail.Data = json.RawMessage(`{"name":"Ravi","mobile":"9876543210"}`)
	call := testEvent("popin_call_successful")
	call.Source = "popin_server"
	call.Data = json.RawMessage(`{"email":"asha.rao@example.com","properties":{"customer_name":"Asha Rao","call_duration":65}}`)
	other := testEvent("popin_widget_open")
	e.log.Append(lead, noMail, call, other)

	testkit.Eventually(t, 30*time.Second, func() error {
		slackBodies, _ := sl.got()
		hsBodies, _ := hs.got()
		if len(slackBodies) != 3 || len(hsBodies) != 2 {
			return fmt.Errorf("slack %d of 3 messages, hubspot %d of 2 requests", len(slackBodies), len(hsBodies))
		}
		return nil
	})
	queueIdle(t, e, "hubspot")
	queueIdle(t, e, "slack")

	slackBodies, _ := sl.got()
	all := strings.Join(slackBodies, "\n")
	for _, w := range []string{`"text":"New lead: Asha Rao"`, `<mailto:asha.rao@example.com|asha.rao@example.com>`, `+919876543210`,
		`"text":"New lead: Ravi"`, `"text":"Call successful: Asha Rao"`, `*Duration*\n1 min 05 s`} {
		if !strings.Contains(all, w) {
			t.Errorf("slack messages lack %s:\n%s", w, all)
		}
	}
	if strings.Contains(all, "popin_widget_open") {
		t.Error("slack got an event it does not notify by default")
	}

	hsBodies, auth := hs.got()
	want := `{"inputs":[{"idProperty":"email","id":"asha.rao@example.com","properties":{"city":"Bengaluru","country":"India",` +
		`"email":"asha.rao@example.com","firstname":"Asha","lastname":"Rao","phone":"+919876543210","popin_page":"https://www.acme.com/p/1","zip":"560001"}}]}`
	for i, b := range hsBodies {
		if b != want || auth[i] != "Bearer pat-test" {
			t.Errorf("hubspot request %d: %s (auth %q)\nwant %s", i, b, auth[i], want)
		}
	}

	testkit.Eventually(t, 10*time.Second, func() error {
		rows := e.w.forEndpoint("hubspot")
		states := map[string]string{}
		for _, r := range rows {
			states[r.EventID+"/"+fmt.Sprint(r.Attempt)] = r.State
			if r.EventID == noMail.ID && (r.State != dlv.StateDead || !strings.Contains(r.Error, "no identity") || r.RequestURL != "") {
				return fmt.Errorf("no-identity row: %+v", r)
			}
			if r.RequestHeaders["authorization"] != "" && r.RequestHeaders["authorization"] != "REDACTED" {
				return fmt.Errorf("token logged: %v", r.RequestHeaders)
			}
		}
		if states[lead.ID+"/1"] != dlv.StateRetrying || states[lead.ID+"/2"] != dlv.StateDelivered || states[noMail.ID+"/1"] != dlv.StateDead {
			return fmt.Errorf("hubspot rows %v", states)
		}
		for _, r := range e.w.forEndpoint("slack") {
			if strings.Contains(r.RequestURL, "SecretPart") || !strings.HasSuffix(r.RequestURL, "/REDACTED") {
				return fmt.Errorf("slack url logged as %q", r.RequestURL)
			}
		}
		if n := len(e.w.forEndpoint("slack")); n != 3 {
			return fmt.Errorf("%d slack rows", n)
		}
		return nil
	})
}
