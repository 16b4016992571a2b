package ingest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/testkit"
)

func allNamesBatch() []wireEvent {
	var evs []wireEvent
	for _, n := range browserNames {
		evs = append(evs, mkEvent(n))
	}
	unknown := mkEvent("something_new")
	custom := mkEvent("add_to_cart")
	custom.Src = "custom"
	return append(evs, unknown, custom)
}

func checkStored(t *testing.T, h *harness, sent []wireEvent) {
	t.Helper()
	for _, w := range sent {
		e, ok := h.log.get(w.ID)
		if !ok {
			t.Errorf("%s (%s) acked but not in the log", w.Name, w.ID)
			continue
		}
		wantSrc, wantKnown := event.SourceBrowser, true
		switch {
		case w.Src == "custom":
			wantSrc, wantKnown = event.SourceCustom, false
		case w.Name == "something_new":
			wantKnown = false
		}
		if e.SiteID != "acme" || e.Name != w.Name || e.Source != wantSrc || e.Known != wantKnown {
			t.Errorf("%s: site %q name %q source %q known %v; want acme %s %s %v", w.Name, e.SiteID, e.Name, e.Source, e.Known, w.Name, wantSrc, wantKnown)
		}
		if e.UID != "u-"+w.Name || e.SessionID != "s-1" || e.AnonID != "a-1" || e.Seq != 7 {
			t.Errorf("%s: uid %q sid %q aid %q seq %d", w.Name, e.UID, e.SessionID, e.AnonID, e.Seq)
		}
		if e.ClientTime.UnixMilli() != w.TS || e.ReceivedAt.IsZero() {
			t.Errorf("%s: ts %v received %v", w.Name, e.ClientTime, e.ReceivedAt)
		}
		if e.Context.IP != "127.0.0.1" || e.Context.UserAgent != "ingest-test/1" || e.Context.URL != "https://www.acme.com/p/1" ||
			e.Context.UTM["source"] != "fb" || e.Context.FBP != "fb.1.2.3" {
			t.Errorf("%s: context %+v", w.Name, e.Context)
		}
		var data map[string]any
		if err := json.Unmarshal(e.Data, &data); err != nil || data["uid"] != "u-"+w.Name {
			t.Errorf("%s: data %s (%v)", w.Name, e.Data, err)
		}
	}
}

func TestWSAcksEveryEventNameAndDedups(t *testing.T) {
	h := newHarness(t, testConfig())
	hdr := http.Header{"Origin": {testOrigin}, "User-Agent": {"ingest-test/1"}}
	c, _, err := websocket.DefaultDialer.Dial(h.wsURL(testKey), hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sent := allNamesBatch()
	ids := make([]string, len(sent))
	for i, w := range sent {
		ids[i] = w.ID
	}
	frame := batchJSON(t, sent...)
	for round := 0; round < 2; round++ { // the same ids again: acked again, stored once
		acked, rejected := sendAndWait(t, c, frame, ids)
		if len(rejected) > 0 {
			t.Fatalf("round %d: rejected %+v", round, rejected)
		}
		for _, id := range ids {
			if !acked[id] {
				t.Errorf("round %d: %s not acked", round, id)
			}
		}
	}
	checkStored(t, h, sent)
	for _, id := range ids {
		if n := h.log.times(id); n != 1 {
			t.Errorf("%s stored %d times, want once", id, n)
		}
	}
}

// Frames are read into reused buffers: each stored event keeps the data
// its own frame carried, however many frames follow it on the socket.
func TestWSPipelinedBatches(t *testing.T) {
	h := newHarness(t, testConfig())
	c := h.mustDial(testKey, testOrigin)
	want := map[string]bool{}
	notes := map[string]string{}
	for i := 0; i < 20; i++ { // several in flight; acks may come in any order
		var evs []wireEvent
		for j := 0; j < 10; j++ {
			e := mkEvent("nudge_show")
			e.Data["note"] = strings.Repeat(string(rune('a'+i)), 1+(i*7+j*13)%60)
			want[e.ID] = true
			notes[e.ID] = e.Data["note"].(string)
			evs = append(evs, e)
		}
		if err := c.WriteMessage(websocket.TextMessage, batchJSON(t, evs...)); err != nil {
			t.Fatal(err)
		}
	}
	for len(want) > 0 {
		m, err := readMsg(t, c)
		if err != nil {
			t.Fatalf("%d ids unacked: %v", len(want), err)
		}
		for _, id := range m.Ack {
			delete(want, id)
		}
		if len(m.Reject) > 0 || m.RetryAfterMS > 0 {
			t.Fatalf("unexpected %+v", m)
		}
	}
	for id, note := range notes {
		e, ok := h.log.get(id)
		if !ok {
			t.Fatalf("acked %s is not in the log", id)
		}
		var d struct{ Note string }
		if err := json.Unmarshal(e.Data, &d); err != nil || d.Note != note {
			t.Fatalf("%s: data %s (%v), want note %q", id, e.Data, err, note)
		}
	}
}

// hostileCase is one bad client. Exactly one of wantStatus (refused before
// the upgrade), wantClose (socket closed) or wantReject is set.
type hostileCase struct {
	name        string
	key, origin string
	frameType   int
	frame       func(t testing.TB) []byte
	wantStatus  int
	wantCode    Code
	wantClose   int
	wantReason  string
	wantReject  string // substring of the reject's error
}

func hostileCases() []hostileCase {
	deep := func(testing.TB) []byte {
		return []byte(`{"batch":[{"id":"` + newUUID() + `","name":"x","data":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}]}`)
	}
	many := func(testing.TB) []byte {
		var b bytes.Buffer
		b.WriteString(`{"batch":[`)
		for i := 0; i < 10000; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"id":"` + newUUID() + `","name":"nudge_show"}`)
		}
		if b.Len() > 512<<10 { // keep it under the byte limit so the count limit is what trips
			b.Truncate(0)
			b.WriteString(`{"batch":[{}` + strings.Repeat(`,{}`, 9999))
		}
		b.WriteString(`]}`)
		return b.Bytes()
	}
	return []hostileCase{
		{name: "wrong key", key: "pk_nope", origin: testOrigin, wantStatus: 401, wantCode: CodeBadKey},
		{name: "missing key", key: "", origin: testOrigin, wantStatus: 401, wantCode: CodeBadKey},
		{name: "disallowed origin", key: testKey, origin: "https://evil.example", wantStatus: 403, wantCode: CodeOrigin},
		{name: "oversized frame", frame: func(testing.TB) []byte {
			return []byte(`{"batch":[{"x":"` + strings.Repeat("a", 600<<10) + `"}]}`)
		}, wantClose: websocket.CloseMessageTooBig},
		{name: "malformed JSON", frame: func(testing.TB) []byte { return []byte(`{"batch":[{"id":`) }, wantClose: websocket.CloseInvalidFramePayloadData, wantReason: "malformed"},
		{name: "not a batch", frame: func(testing.TB) []byte { return []byte(`[1,2]`) }, wantClose: websocket.CloseInvalidFramePayloadData, wantReason: "malformed"},
		{name: "10k-deep nesting", frame: deep, wantClose: websocket.CloseMessageTooBig, wantReason: "nesting"},
		{name: "10k events in one batch", frame: many, wantClose: websocket.CloseMessageTooBig, wantReason: "events"},
		{name: "invalid UTF-8", frame: func(testing.TB) []byte { return []byte("{\"batch\":[{\"id\":\"\xff\xfe\"}]}") }, wantClose: websocket.CloseInvalidFramePayloadData, wantReason: "UTF-8"},
		{name: "binary frame", frameType: websocket.BinaryMessage, frame: func(t testing.TB) []byte { return batchJSON(t, mkEvent("nudge_show")) }, wantClose: websocket.CloseUnsupportedData},
		{name: "missing id", frame: func(testing.TB) []byte { return []byte(`{"batch":[{"name":"nudge_show","data":{"uid":"u"}}]}`) }, wantCode: CodeInvalidEvent, wantReject: "id"},
		{name: "id not a UUID", frame: func(testing.TB) []byte { return []byte(`{"batch":[{"id":"123","name":"nudge_show"}]}`) }, wantCode: CodeInvalidEvent, wantReject: "id"},
		{name: "data not an object", frame: func(testing.TB) []byte {
			return []byte(`{"batch":[{"id":"` + newUUID() + `","name":"nudge_show","data":[1]}]}`)
		}, wantCode: CodeInvalidEvent, wantReject: "data"},
		{name: "schema violation", frame: func(testing.TB) []byte {
			return []byte(`{"batch":[{"id":"` + newUUID() + `","name":"popin_rating_done","data":{"uid":"u","rating":true}}]}`)
		}, wantCode: CodeInvalidEvent, wantReject: "rating"},
		{name: "event over 32KB", frame: func(testing.TB) []byte {
			fields := make([]string, 6)
			for i := range fields {
				fields[i] = `"f` + string(rune('a'+i)) + `":"` + strings.Repeat("x", 6000) + `"`
			}
			return []byte(`{"batch":[{"id":"` + newUUID() + `","name":"nudge_show","data":{` + strings.Join(fields, ",") + `}}]}`)
		}, wantCode: CodeTooLarge, wantReject: "exceeds"},
		{name: "popin_server source claimed", frame: func(testing.TB) []byte {
			return []byte(`{"batch":[{"id":"` + newUUID() + `","name":"popin_call_successful","src":"popin_server"}]}`)
		}, wantCode: CodeInvalidEvent, wantReject: "src"},
	}
}

func runHostile(t *testing.T, h *harness, tc hostileCase) {
	key, origin := tc.key, tc.origin
	if tc.wantStatus == 0 {
		key, origin = testKey, testOrigin
	}
	c, resp, err := h.dial(key, origin)
	if tc.wantStatus != 0 {
		if err == nil {
			c.Close()
			t.Fatalf("dial succeeded, want %d", tc.wantStatus)
		}
		if resp == nil || resp.StatusCode != tc.wantStatus {
			t.Fatalf("dial: %v, want status %d", err, tc.wantStatus)
		}
		var body errorBody
		b, _ := io.ReadAll(resp.Body)
		if json.Unmarshal(b, &body) != nil || body.Error.Code != tc.wantCode {
			t.Fatalf("body %s, want code %s", b, tc.wantCode)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ft := tc.frameType
	if ft == 0 {
		ft = websocket.TextMessage
	}
	if err := c.WriteMessage(ft, tc.frame(t)); err != nil && tc.wantClose == 0 {
		t.Fatal(err)
	}
	if tc.wantClose != 0 {
		code, reason := expectClose(t, c)
		if code != tc.wantClose || !strings.Contains(reason, tc.wantReason) {
			t.Fatalf("closed with %d %q, want %d containing %q", code, reason, tc.wantClose, tc.wantReason)
		}
		return
	}
	m, err := readMsg(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Reject) != 1 || m.Reject[0].Code != tc.wantCode || !strings.Contains(m.Reject[0].Error, tc.wantReject) || len(m.Ack) > 0 {
		t.Fatalf("got %+v, want one %s reject naming %q", m, tc.wantCode, tc.wantReject)
	}
	// the socket stays usable after a per-event reject
	good := mkEvent("nudge_open")
	acked, _ := sendAndWait(t, c, batchJSON(t, good), []string{good.ID})
	if !acked[good.ID] {
		t.Fatal("no ack after a reject")
	}
}

func TestWSHostileClients(t *testing.T) {
	h := newHarness(t, testConfig())
	// A well-behaved client on its own connection keeps getting acks
	// throughout.
	good := h.mustDial(testKey, testOrigin)
	for _, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			runHostile(t, h, tc)
			e := mkEvent("nudge_show")
			acked, _ := sendAndWait(t, good, batchJSON(t, e), []string{e.ID})
			if !acked[e.ID] {
				t.Fatal("good client not acked")
			}
			if _, ok := h.log.get(e.ID); !ok {
				t.Fatal("good client's event not stored")
			}
		})
	}
}

func TestWSHostileBurstMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	h := newHarness(t, testConfig())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cases := hostileCases()
	for round := 0; round < 5; round++ {
		for _, tc := range cases {
			if tc.wantClose != 0 || tc.wantStatus != 0 {
				runHostile(t, h, tc)
			}
		}
	}
	testkit.Eventually(t, 5*time.Second, h.socketsClosed)
	runtime.GC()
	runtime.ReadMemStats(&after)
	grow := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("heap in use: %d KB before, %d KB after a hostile burst", before.HeapInuse>>10, after.HeapInuse>>10)
	if grow > 32<<20 {
		t.Fatalf("heap grew by %d MB after a hostile burst", grow>>20)
	}
}

func TestWSLogFullAsksToRetry(t *testing.T) {
	h := newHarnessWith(t, testConfig(), fullLog(t))
	c := h.mustDial(testKey, testOrigin)
	e := mkEvent("popin_captured")
	if err := c.WriteMessage(websocket.TextMessage, batchJSON(t, e)); err != nil {
		t.Fatal(err)
	}
	m, err := readMsg(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if m.RetryAfterMS <= 0 || len(m.Retry) != 1 || m.Retry[0] != e.ID || len(m.Ack)+len(m.Reject) > 0 {
		t.Fatalf("got %+v, want a retry hint naming %s", m, e.ID)
	}
	if code, _ := expectClose(t, c); code != websocket.CloseTryAgainLater {
		t.Fatalf("close %d, want 1013", code)
	}
	if _, ok := h.log.get(e.ID); ok {
		t.Fatal("stored despite the failure")
	}
}

func TestWSConnectionLimits(t *testing.T) {
	cfg := testConfig()
	cfg.WebSocket.MaxConnectionsPerIP = 2
	h := newHarness(t, cfg)
	h.mustDial(testKey, testOrigin)
	h.mustDial(testKey, testOrigin)
	_, resp, err := h.dial(testKey, testOrigin)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third socket from one IP: %v %v, want 429", err, resp)
	}

	cfg = testConfig()
	cfg.WebSocket.MaxConnections = 1
	h2 := newHarness(t, cfg)
	h2.mustDial(testKey, testOrigin)
	_, resp, err = h2.dial(testKey, testOrigin)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("socket over the total: %v %v, want 503 + Retry-After", err, resp)
	}
}

func TestWSRateLimited(t *testing.T) {
	cfg := testConfig()
	cfg.MaxEventsPerBatch = 5
	cfg.RateLimit.PerIPEventsPerSecond = 0.01
	cfg.RateLimit.PerIPBurst = 5
	h := newHarness(t, cfg)
	c := h.mustDial(testKey, testOrigin)
	batch := func() ([]wireEvent, []string) {
		var evs []wireEvent
		var ids []string
		for i := 0; i < 5; i++ {
			e := mkEvent("nudge_show")
			evs, ids = append(evs, e), append(ids, e.ID)
		}
		return evs, ids
	}
	evs, ids := batch()
	if acked, _ := sendAndWait(t, c, batchJSON(t, evs...), ids); len(acked) != 5 {
		t.Fatalf("first batch: %d acked", len(acked))
	}
	// Over the limit: neither acked nor rejected, a retry hint naming every
	// id, and the socket stays open (CONTRACT §5: "not now" is not "never").
	evs, ids = batch()
	if err := c.WriteMessage(websocket.TextMessage, batchJSON(t, evs...)); err != nil {
		t.Fatal(err)
	}
	m, err := readMsg(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if m.RetryAfterMS <= 0 || len(m.Retry) != len(ids) || len(m.Ack)+len(m.Reject) > 0 {
		t.Fatalf("over the rate limit got %+v, want only a retry hint for all %d ids", m, len(ids))
	}
	for i, id := range ids {
		if m.Retry[i] != id {
			t.Fatalf("retry ids %v, want %v", m.Retry, ids)
		}
	}
	// The server did not close the socket: the next batch on it is
	// answered, again with a retry hint.
	evs, ids = batch()
	if err := c.WriteMessage(websocket.TextMessage, batchJSON(t, evs...)); err != nil {
		t.Fatalf("socket closed after a rate limit: %v", err)
	}
	if m, err = readMsg(t, c); err != nil || len(m.Retry) != len(ids) {
		t.Fatalf("after a rate limit the socket answered %+v, %v; want a retry hint (socket still open)", m, err)
	}
}

func TestWSIdleTimeoutAndPing(t *testing.T) {
	cfg := testConfig()
	cfg.WebSocket.PingInterval = 50 * time.Millisecond
	cfg.WebSocket.PongWait = 200 * time.Millisecond
	cfg.WebSocket.IdleTimeout = 600 * time.Millisecond
	h := newHarness(t, cfg)
	c := h.mustDial(testKey, testOrigin)
	// Reading answers pings, so the socket survives pong_wait and closes
	// only when idle: a missed pong would end it without a close frame, so
	// the idle close proves both (no clock needed).
	code, reason := expectClose(t, c)
	if code != websocket.CloseNormalClosure || !strings.Contains(reason, "idle") {
		t.Fatalf("close %d %q, want 1000 idle", code, reason)
	}

	// A client that does not answer pings is dropped after pong_wait.
	raw := h.mustDial(testKey, testOrigin)
	raw.SetPingHandler(func(string) error { return nil })
	testkit.Eventually(t, 5*time.Second, h.socketsClosed)
	_ = raw
}

func TestWSShutdownClosesSocketsAfterAcks(t *testing.T) {
	h := newHarness(t, testConfig())
	c := h.mustDial(testKey, testOrigin)
	e := mkEvent("nudge_show")
	if acked, _ := sendAndWait(t, c, batchJSON(t, e), []string{e.ID}); !acked[e.ID] {
		t.Fatal("not acked")
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := contextWithTimeout(5 * time.Second)
		defer cancel()
		done <- h.in.Shutdown(ctx)
	}()
	if code, _ := expectClose(t, c); code != websocket.CloseGoingAway {
		t.Fatalf("close %d, want 1001", code)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, resp, err := h.dial(testKey, testOrigin); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after shutdown: %v %v, want 503", err, resp)
	}
	ctx, cancel := contextWithTimeout(time.Second)
	defer cancel()
	if err := h.in.Shutdown(ctx); err != nil { // twice is fine
		t.Fatal(err)
	}
}

func TestShutdownContract(t *testing.T) {
	testkit.CheckShutdown(t, func(t *testing.T) testkit.Part { return newHarness(t, testConfig()).in })
}
