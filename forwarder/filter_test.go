package forwarder

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/forwarder/queue"
	dlv "github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/testkit"
)

// TestFilterAndTransform, over loopback receivers: an endpoint without
// rules gets every event (the positive control); one filtering on
// data.country gets only the matching events and the others are counted
// as filtered, with no delivery row and no failure; one with a transform
// gets the transformed body, signed; a filter that cannot be evaluated on
// an event fails that delivery permanently, once, naming the filter.
func TestFilterAndTransform(t *testing.T) {
	secret := signing.NewSecret()
	ctlRcv, inRcv, trRcv, badRcv := newReceiver(t, secret), newReceiver(t, secret), newReceiver(t, secret), newReceiver(t, secret)
	ctl := webhookEP("ctl", ctlRcv.url(), secret)
	in := webhookEP("in", inRcv.url(), secret)
	in.Filter = `data.country == "IN"`
	tr := webhookEP("tr", trRcv.url(), secret)
	tr.Transform = `{"event": name, "email": lower(data.email), "country": data.country, "page": ctx.url}`
	bad := webhookEP("bad", badRcv.url(), secret)
	bad.Filter = `data.address.city == "Pune"`
	e := newEnv(t, testConfig(ctl, in, tr, bad))

	datas := []string{
		`{"email":"A@X.com","country":"IN"}`,
		`{"email":"B@X.com","country":"US"}`,
		`{"email":"C@X.com","country":"IN","address":{"city":"Pune"}}`,
		`{"email":"D@X.com","country":"US"}`,
	}
	ids := make([]string, len(datas))
	for i, d := range datas {
		ev := testEvent("popin_captured")
		ev.Data = json.RawMessage(d)
		ids[i] = ev.ID
		e.log.Append(ev)
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if ctlRcv.delivered() != len(datas) || trRcv.delivered() != len(datas) || e.log.r.Acked() != len(datas) {
			return fmt.Errorf("control %d, transform %d of %d; acked %d", ctlRcv.delivered(), trRcv.delivered(), len(datas), e.log.r.Acked())
		}
		return nil
	})
	for _, id := range []string{"in", "tr", "bad"} {
		queueIdle(t, e, id)
	}

	// The filter: only the Indian events, the others counted.
	if got := inRcv.delivered(); got != 2 {
		t.Fatalf("filtered endpoint got %d events, want 2", got)
	}
	inRcv.mu.Lock()
	for _, id := range []string{ids[0], ids[2]} {
		if _, ok := inRcv.bodies[queue.WebhookID(id)]; !ok {
			t.Errorf("event %s (country IN) not delivered to the filtered endpoint", id)
		}
	}
	inRcv.mu.Unlock()
	if n, _ := counterOf(t, e, "bridge_forwarder_filtered_total", map[string]string{"endpoint": "in"}); n != 2 {
		t.Errorf("bridge_forwarder_filtered_total{endpoint=in} = %v, want 2", n)
	}
	if n, _ := counterOf(t, e, "bridge_forwarder_failures_total", map[string]string{"endpoint": "in", "kind": "permanent"}); n != 0 {
		t.Errorf("filtered events counted as failures: %v", n)
	}

	// The transform: the body is the expression's map, and it verifies.
	for _, err := range trRcv.errors() {
		t.Errorf("transformed body does not verify: %v", err)
	}
	want := map[string]string{} // by webhook-id
	for i, d := range datas {
		var m map[string]string
		_ = json.Unmarshal([]byte(strings.Replace(d, `,"address":{"city":"Pune"}`, "", 1)), &m)
		want[queue.WebhookID(ids[i])] = fmt.Sprintf(`{"country":%q,"email":%q,"event":"popin_captured","page":"https://www.acme.com/p/1"}`, m["country"], strings.ToLower(m["email"]))
	}
	trRcv.mu.Lock()
	for wid, body := range trRcv.bodies {
		if w, ok := want[wid]; !ok || string(body) != w {
			t.Errorf("transformed body for %s:\n got %s\nwant %s", wid, body, w)
		}
	}
	trRcv.mu.Unlock()

	// The filter failing at runtime: a permanent failure per event without
	// an address, attempted once; the event with one is delivered.
	if got := badRcv.delivered(); got != 1 {
		t.Fatalf("endpoint with a failing filter got %d events, want 1", got)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		var dead int
		for _, r := range e.w.forEndpoint("bad") {
			if r.State != dlv.StateDead {
				continue
			}
			dead++
			if r.Attempt != 1 || !strings.Contains(r.Error, "filter: line 1, column 14: cannot fetch city") {
				return fmt.Errorf("dead row %+v", r)
			}
		}
		if dead != 3 {
			return fmt.Errorf("%d dead rows, want 3", dead)
		}
		return nil
	})
	if n, _ := counterOf(t, e, "bridge_forwarder_failures_total", map[string]string{"endpoint": "bad", "kind": "permanent"}); n != 3 {
		t.Errorf("permanent failures of bad = %v, want 3", n)
	}
}
