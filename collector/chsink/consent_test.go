package chsink_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// Each event's consent is stored per purpose. An event whose visitor denied
// analytics is stored without personal data or visitor identifiers (the
// default, anonymous) or not at all (analytics_denied: drop); the same
// events with analytics granted or unknown are stored whole.
func TestSinkAnalyticsConsent(t *testing.T) {
	db := openDB(t, chtest.Shared(t))
	log := newMemLog()
	data := map[string]any{"name": "Asha", "email": "asha@example.com", "mobile": "9876543210", "country": "IN", "uid": "u-1", "screen": "home"}
	type row struct {
		stored                                bool
		data, uid, aid, sid, ip, ua, fbp, url string
		analytics, ads, functional            string
	}
	tests := []struct {
		site    string
		consent map[string]bool
		want    row
	}{
		{"acme", map[string]bool{"analytics": false, "ads": true}, row{true, `{"country":"IN","screen":"home"}`, "", "", "", "", "", "", "https://www.acme.com/p/1",
			"denied", "granted", "unknown"}},
		{"acme", map[string]bool{"analytics_storage": true, "functionality_storage": false}, row{true, "", "u-2", "a-2", "s-2", "203.0.113.0", "Mozilla/5.0", "fb.1.1.1",
			"https://www.acme.com/p/1?gclid=x&e=asha%40example.com", "granted", "unknown", "denied"}},
		{"acme", nil, row{true, "", "u-3", "a-3", "s-3", "203.0.113.0", "Mozilla/5.0", "fb.1.1.1",
			"https://www.acme.com/p/1?gclid=x&e=asha%40example.com", "unknown", "unknown", "unknown"}},
		{"strictco", map[string]bool{"analytics": false}, row{stored: false}},
		{"strictco", map[string]bool{"analytics": true}, row{true, "", "u-5", "a-0", "s-5", "203.0.113.0", "Mozilla/5.0", "fb.1.1.1",
			"https://www.acme.com/p/1?gclid=x&e=asha%40example.com", "granted", "unknown", "unknown"}},
	}
	for i, tt := range tests {
		e := ev(200+i, tt.site, "popin_captured", data)
		e.UID, e.AnonID, e.SessionID = fmt.Sprintf("u-%d", i+1), fmt.Sprintf("a-%d", (i+1)%5), fmt.Sprintf("s-%d", i+1)
		e.Context.URL = "https://www.acme.com/p/1?gclid=x&e=asha%40example.com"
		e.Context.Consent = tt.consent
		log.Append(e)
	}
	startSink(t, db, log, nil)
	testkit.Eventually(t, 20*time.Second, log.ackedAll(-1))
	for i, tt := range tests {
		t.Run(fmt.Sprint(tt.site, i), func(t *testing.T) {
			id := ev(200+i, "", "", nil).ID
			n := queryUint(t, db, "SELECT count() FROM events WHERE event_id = '"+id+"'")
			if (n == 1) != tt.want.stored || n > 1 {
				t.Fatalf("%d rows, want stored=%v", n, tt.want.stored)
			}
			if !tt.want.stored {
				return
			}
			var got row
			got.stored = true
			err := db.Conn().QueryRow(context.Background(), `SELECT data, uid, aid, sid, ip, user_agent, fbp, url,
				toString(consent_analytics), toString(consent_ads), toString(consent_functional) FROM events FINAL WHERE event_id = ?`, id).
				Scan(&got.data, &got.uid, &got.aid, &got.sid, &got.ip, &got.ua, &got.fbp, &got.url, &got.analytics, &got.ads, &got.functional)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want.data == "" { // stored whole: the site's pii policy applies (hash)
				tt.want.data = got.data
				if got.data == `{"country":"IN","screen":"home"}` {
					t.Fatalf("data anonymised although analytics was not denied: %s", got.data)
				}
			}
			if got != tt.want {
				t.Errorf("stored\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// A batch whose events are all dropped inserts nothing and is acked.
func TestSinkAcksBatchOfDroppedEvents(t *testing.T) {
	db := openDB(t, chtest.Shared(t))
	log := newMemLog()
	e := ev(300, "strictco", "popin_captured", map[string]any{"screen": "home"})
	e.Context.Consent = map[string]bool{"analytics": false}
	log.Append(e)
	_, reg := startSinkMetered(t, db, log, nil)
	testkit.Eventually(t, 20*time.Second, log.ackedAll(-1))
	if n := queryUint(t, db, "SELECT count() FROM events"); n != 0 {
		t.Fatalf("%d rows stored, want 0", n)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "bridge_chsink_analytics_denied_total" {
			for _, m := range mf.GetMetric() {
				got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	if got["drop"] != 1 || got["anonymous"] != 0 {
		t.Fatalf("bridge_chsink_analytics_denied_total %v, want drop 1", got)
	}
}
