package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/testkit"
)

// One person's data, distinctive enough that any trace of it in the logs
// is found by a substring search.
const (
	piiEmail = "zq.private.person@example.org"
	piiName  = "Quendolyn Vasquez-Pii"
	piiPhone = "+447700900123"
	piiIP    = "127.0.0.77" // the client's own address (loopback is 127/8)
	piiUA    = "Mozilla/5.0 (X11; PiiTest) zqagent/7731"
	piiUID   = "uid-zq-private-7731"
	piiUID2  = "uid-zq-private-7732"
	piiAID   = "aid-zq-private-7731"
	piiURL   = "https://www.acme.com/landing?email=zq.private.person%40example.org&utm_source=mail"
)

// piiNeedles are the strings none of which may appear in the logs, in
// every form a logger could write them: as sent, lower case, and query
// or path escaped. The full hash of the e-mail is personal data as well
// (it is the value Meta matches on); a short prefix of it is not.
func piiNeedles() []string {
	base := []string{piiEmail, "zq.private.person", piiName, "Quendolyn", "Vasquez-Pii", piiPhone, "447700900123", "07700900123",
		"7700900123", piiIP, piiUA, "zqagent", piiUID, piiUID2, piiAID, piiURL, piinorm.Hash(piiEmail)}
	var out []string
	seen := map[string]bool{}
	for _, b := range base {
		for _, s := range []string{b, strings.ToLower(b), url.QueryEscape(b), url.PathEscape(b), strings.ToLower(url.QueryEscape(b))} {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// captureLogs returns a debug-level logger writing to a buffer, and sends
// the process's default slog logger and the standard log package there
// too for the test's duration (net/http's own errors, any part falling back
// to slog.Default()).
func captureLogs(t *testing.T) (*slog.Logger, *testkit.LockedBuffer) {
	buf := &testkit.LockedBuffer{}
	logger := slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	prev, prevOut, prevFlags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(logger)
	t.Cleanup(func() {
		slog.SetDefault(prev)
		log.SetOutput(prevOut)
		log.SetFlags(prevFlags)
	})
	return logger, buf
}

// fromIP is an HTTP client and a WebSocket dialer whose connections come
// from ip (any 127.x address is local on Linux).
func fromIP(ip string) (*http.Client, *websocket.Dialer) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 20 * time.Second},
		&websocket.Dialer{NetDialContext: d.DialContext, HandshakeTimeout: 10 * time.Second}
}

// piiEvent is a browser event of the person: name, data and consent.
func piiEvent(id, name, uid string, data map[string]any, consent map[string]any) map[string]any {
	return map[string]any{"id": id, "name": name, "ts": time.Now().UnixMilli(), "seq": 1, "sid": "s-zq", "aid": piiAID,
		"data": data, "ctx": map[string]any{"url": piiURL, "ref": piiURL, "title": "Hello " + piiName, "consent": consent,
			"utm": map[string]any{"term": piiEmail}}}
}

func piiLead(uid string) map[string]any {
	return map[string]any{"name": piiName, "email": piiEmail, "country": "+44", "mobile": "7700900123", "uid": uid}
}

// The product's promise: personal data never reaches the logs. The app
// runs at log level debug with everything it logs captured, while one
// person's data goes through every path that handles it, valid and
// invalid: browser events over HTTP and WebSocket (schema violations on
// the personal fields, bad ids, bad JSON, oversized), Popin webhooks (valid,
// wrong X-API-KEY, malformed, invalid), deliveries to a webhook that
// succeeds, one answering 500 (echoing the body), one refusing
// connections, one timing out, one whose transform fails on the e-mail,
// a Conversions API endpoint, an endpoint the visitor's consent denies,
// then an erasure of the person. Positive controls first: the data
// reached the receivers and ClickHouse as the policy says, and the logs
// hold the warnings of the failures caused; then no form of any of the
// person's values is in the logs.
func TestPersonalDataNeverLogged(t *testing.T) {
	logger, logs := captureLogs(t)
	var mu sync.Mutex
	bodies := map[string][]string{} // receiver path and query → bodies
	release := make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies[r.URL.Path+"?"+r.URL.RawQuery] = append(bodies[r.URL.Path+"?"+r.URL.RawQuery], string(b))
		mu.Unlock()
		switch {
		case r.URL.Path == "/fail": // a receiver that echoes what it refuses
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = fmt.Fprintf(w, "cannot process %s", b)
		case r.URL.Path == "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case strings.HasPrefix(r.URL.Path, "/graph"):
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"events_received":1,"fbtrace_id":"x"}`))
		}
	}))
	t.Cleanup(rcv.Close)
	t.Cleanup(func() { close(release) })
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downURL := "http://" + closed.Addr().String() + "/hook?src=bridge"
	closed.Close()

	cfg := testConfig(t)
	cfg.LogLevel = "debug"
	cfg.ClickHouse.Addr = chtest.Shared(t).Addr()
	cfg.ClickHouse.Database = chtest.DatabaseName("piilogs")
	cfg.Forwarder.AllowedPrivateTargets = []string{"127.0.0.0/8"}
	cfg.Forwarder.Timeout = "1s"
	cfg.ControlPlane.OpsWebhook.ExhaustedWindow = time.Second
	cfg.Sites = []site.Site{{ID: "demo", WriteKey: "pk_demo", PopinAPIKey: "popin-key-0123456789", PII: site.PIIHash}}
	cfg.Sites[0].ApplyDefaults()
	a, ctx, base := serveAppLogging(t, cfg, 90*time.Second, logger)

	events := []string{"popin_captured", "popin_call_successful"}
	hook := func(id, u string, more map[string]any) {
		ep := map[string]any{"id": id, "site": "demo", "url": u, "auth": "none", "events": events}
		for k, v := range more {
			ep[k] = v
		}
		apiCall(t, base, "POST", "/api/v1/endpoints", ep, 201)
	}
	once := map[string]any{"retry_schedule": []string{"100ms"}}
	hook("ok", rcv.URL+"/ok?src=bridge", nil)
	hook("fail", rcv.URL+"/fail?src=bridge", once)
	hook("down", downURL, once)
	hook("slow", rcv.URL+"/slow?src=bridge", once)
	hook("xform", rcv.URL+"/ok?src=xform", map[string]any{"transform": `{"n": int(data.email)}`})
	hook("adsonly", rcv.URL+"/ok?src=ads", map[string]any{"consent": []string{"ads"}})
	apiCall(t, base, "POST", "/api/v1/endpoints", map[string]any{"id": "meta", "site": "demo", "type": "facebook_capi",
		"pixel_id": "1234567890", "access_token": "EAAB", "graph_url": rcv.URL + "/graph",
		"event_map": map[string]string{"popin_captured": "Lead", "popin_call_successful": "Contact"}}, 201)

	hc, wsd := fromIP(piiIP)
	post := func(path, ctype string, hdr map[string]string, body []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("User-Agent", piiUA)
		req.Header.Set("Referer", piiURL)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	batch := func(evs ...any) []byte {
		b, _ := json.Marshal(map[string]any{"batch": evs})
		return b
	}
	granted := map[string]any{"ads": true, "analytics": true}

	// HTTP ingest: one valid lead, a schema violation on the e-mail, an id
	// that is the e-mail; then bad JSON and an oversized body.
	badEmail := piiLead(piiUID)
	badEmail["email"] = map[string]any{"address": piiEmail}
	st, ans := post("/v1/events?key=pk_demo", "application/json", nil, batch(
		piiEvent("0c6f0000-0000-4000-8000-00000000a001", "popin_captured", piiUID, piiLead(piiUID), granted),
		piiEvent("0c6f0000-0000-4000-8000-00000000a002", "popin_captured", piiUID, badEmail, granted),
		piiEvent(piiEmail, "popin_captured", piiUID, piiLead(piiUID), granted)))
	if st != 200 || strings.Count(ans, `"code"`) != 2 || !strings.Contains(ans, "0c6f0000-0000-4000-8000-00000000a001") {
		t.Fatalf("HTTP batch: %d %s; want one accepted, two rejected", st, ans)
	}
	if st, ans = post("/v1/events?key=pk_demo", "application/json", nil,
		[]byte(`{"batch":[{"id":"0c6f0000-0000-4000-8000-00000000a003","data":{"email":"`+piiEmail+`",}`+piiPhone)); st != 400 {
		t.Fatalf("bad JSON: %d %s, want 400", st, ans)
	}
	big := bytes.Repeat([]byte(piiEmail+" "+piiName+" "), cfg.Ingest.MaxBatchBytes/40+1)
	if st, ans = post("/v1/events?key=pk_demo", "application/json", nil,
		[]byte(`{"batch":[{"data":{"email":"`+string(big)+`"}}]}`)); st != 413 {
		t.Fatalf("oversized: %d %.200s, want 413", st, ans)
	}

	// WebSocket ingest: the same person on another device, denying ads;
	// then a schema violation, then bad JSON (closes the socket); an
	// oversized frame on a second socket.
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/v1/ws?key=pk_demo"
	wsHdr := http.Header{"User-Agent": {piiUA}}
	conn, _, err := wsd.Dial(wsURL, wsHdr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, hello, err := conn.ReadMessage(); err != nil || !strings.Contains(string(hello), "consent_mode") {
		t.Fatalf("WebSocket hello %s (%v)", hello, err)
	}
	wsSend := func(frame []byte, want string) {
		t.Helper()
		if err := conn.WriteMessage(websocket.TextMessage, frame); err != nil {
			t.Fatal(err)
		}
		_, msg, err := conn.ReadMessage()
		if err != nil || !strings.Contains(string(msg), want) {
			t.Fatalf("WebSocket answer %s (%v), want %s", msg, err, want)
		}
	}
	wsSend(batch(piiEvent("0c6f0000-0000-4000-8000-00000000b001", "popin_captured", piiUID2, piiLead(piiUID2),
		map[string]any{"ad_user_data": "denied", "analytics": true})), `"ack"`)
	bad2 := piiLead(piiUID2)
	bad2["mobile"] = []any{piiPhone}
	wsSend(batch(piiEvent("0c6f0000-0000-4000-8000-00000000b002", "popin_captured", piiUID2, bad2, granted)), `"reject"`)
	_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"batch":[{"data":{"email":"`+piiEmail+`"}`+piiName))
	if _, _, err := conn.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseInvalidFramePayloadData) {
		t.Fatalf("bad JSON frame: %v, want close 1007", err)
	}
	conn2, _, err := wsd.Dial(wsURL, wsHdr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	_ = conn2.SetReadDeadline(time.Now().Add(20 * time.Second))
	_ = conn2.WriteMessage(websocket.TextMessage, []byte(`{"batch":[{"data":{"email":"`+string(big)+`"}}]}`))
	_, _, err = conn2.ReadMessage() // the hello
	if err == nil {
		_, _, err = conn2.ReadMessage()
	}
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Fatalf("oversized frame: %v, want close 1009", err)
	}

	// Popin webhooks: valid, wrong key, malformed, invalid.
	key := map[string]string{"X-API-KEY": "popin-key-0123456789"}
	popin := func(email any) []byte {
		b, _ := json.Marshal(map[string]any{"event": "popin_call_successful", "user_id": piiUID, "email": email,
			"country_code": "+44", "phone_number": "7700900123", "full_phone_number": piiPhone, "timestamp": fmt.Sprint(time.Now().Unix()),
			"properties": map[string]any{"customer_name": piiName, "call_duration": "185", "url": piiURL}})
		return b
	}
	if st, ans = post("/v1/hooks/popin?key=pk_demo", "application/json", key, popin(piiEmail)); st != 200 {
		t.Fatalf("webhook: %d %s", st, ans)
	}
	if st, ans = post("/v1/hooks/popin?key=pk_demo", "application/json", map[string]string{"X-API-KEY": piiEmail}, popin(piiEmail)); st != 401 {
		t.Fatalf("webhook with a wrong key: %d %s, want 401", st, ans)
	}
	if st, ans = post("/v1/hooks/popin?key=pk_demo", "application/json", key, popin(piiEmail)[:80]); st != 400 {
		t.Fatalf("malformed webhook: %d %s, want 400", st, ans)
	}
	if st, ans = post("/v1/hooks/popin?key=pk_demo", "application/json", key, popin(map[string]any{"v": piiEmail})); st != 400 {
		t.Fatalf("invalid webhook: %d %s, want 400", st, ans)
	}

	// Positive controls: the person's data went where it should.
	testkit.Eventually(t, 60*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if n := len(bodies["/ok?src=bridge"]); n != 3 {
			return fmt.Errorf("webhook endpoint got %d events, want 3", n)
		}
		if n := len(bodies["/ok?src=ads"]); n != 2 {
			return fmt.Errorf("ads endpoint got %d events, want 2", n)
		}
		if n := len(bodies["/fail?src=bridge"]); n != 6 {
			return fmt.Errorf("failing endpoint got %d attempts, want 6", n)
		}
		if n := len(bodies["/slow?src=bridge"]); n != 6 {
			return fmt.Errorf("slow endpoint got %d attempts, want 6", n)
		}
		for _, ep := range []string{"fail", "down", "slow", "xform"} {
			if v := metricValue(t, base, `bridge_forwarder_dead_letters_total{endpoint="`+ep+`"}`); v != "3" {
				return fmt.Errorf("%s: %q dead letters, want 3", ep, v)
			}
		}
		if v := metricValue(t, base, `bridge_forwarder_suppressed_total{endpoint="adsonly",purpose="ads"}`); v != "1" {
			return fmt.Errorf("adsonly suppressed %q, want 1", v)
		}
		return nil
	})
	mu.Lock()
	for _, b := range bodies["/ok?src=bridge"] {
		if !strings.Contains(b, piiEmail) || !strings.Contains(b, piiName) {
			t.Errorf("webhook body without the person's data: %s", b)
		}
	}
	graph := strings.Join(bodies["/graph"], "")
	for p, bs := range bodies {
		if strings.HasPrefix(p, "/graph") {
			graph += strings.Join(bs, "")
		}
	}
	mu.Unlock()
	if !strings.Contains(graph, piinorm.Hash(piiEmail)) || strings.Contains(graph, piiEmail) {
		t.Errorf("Conversions API bodies %q: want the e-mail hashed, never raw", graph)
	}
	testkit.Eventually(t, 60*time.Second, func() error {
		rows, err := queryStrings(ctx, a, "SELECT data FROM $db.events WHERE site_id = 'demo' AND uid = '"+piiUID+"' AND name = 'popin_captured'")
		if err != nil || len(rows) != 1 {
			return fmt.Errorf("the lead is not stored yet: %v %v", rows, err)
		}
		if !strings.Contains(rows[0][0], piinorm.Hash(piiEmail)) || strings.Contains(rows[0][0], piiEmail) {
			return fmt.Errorf("stored %s: want the e-mail hashed (pii: hash)", rows[0][0])
		}
		return nil
	})

	// Erasure of the person.
	job := apiCall(t, base, "POST", "/api/v1/erasures", map[string]any{"site": "demo", "email": piiEmail}, 202)
	testkit.Eventually(t, 60*time.Second, func() error {
		if j := apiCall(t, base, "GET", fmt.Sprintf("/api/v1/erasures/%v", job["id"]), nil, 200); j["status"] != "done" {
			return fmt.Errorf("erasure %v", j)
		}
		return nil
	})
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	out := logs.String()
	// The logs saw the failures: a leak would have been written here.
	for _, want := range []string{"level=DEBUG", "level=WARN", "message.attempt.exhausted", "EndpointID:fail", "EndpointID:down",
		"EndpointID:slow", "EndpointID:xform", "HTTP 500", "connection refused", "timeout awaiting response headers",
		"invalid operation: int(", "erasure requested", "subject_hash_prefix=", "erasure finished"} {
		if !strings.Contains(out, want) {
			t.Errorf("the logs do not contain %q", want)
		}
	}
	subject, _ := job["subject_hash"].(string)
	if len(subject) != 64 {
		t.Fatalf("erasure answer %v: no subject_hash", job)
	}
	for _, n := range append(piiNeedles(), subject) {
		if i := strings.Index(out, n); i >= 0 {
			start, end := strings.LastIndexByte(out[:i], '\n')+1, i+len(n)
			if j := strings.IndexByte(out[end:], '\n'); j >= 0 {
				end += j
			}
			t.Errorf("personal data %q in the logs: %s", n, out[start:end])
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", out)
	}
}
