package chsink_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/popinbridge/bridge/collector/chsink"
	"github.com/popinbridge/bridge/collector/chsink/internal/pii"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/testkit"
)

type row struct {
	EventID, SiteID, Name, Source                     string
	Known                                             uint8
	UID, AID, SID                                     string
	Seq                                               int64
	ClientTS, ReceivedAt, EventTime, EventDate        time.Time
	URL, Referrer, Title                              string
	UTMSource, UTMMedium, UTMCampaign, UTMTerm, UTMCt string
	FBP, FBC, Country, IP, UserAgent, Data, UserID    string
}

func TestSinkWritesFieldsPerSource(t *testing.T) {
	db := openDB(t, chtest.Shared(t))
	log := newMemLog()
	browser := ev(1, "acme", "nudge_show", map[string]any{"uid": "u-1"})
	server := ev(2, "acme", "popin_call_successful", map[string]any{"user_id": "3ab7", "properties": map[string]any{"call_duration": 61}})
	server.Source, server.UID, server.AnonID, server.SessionID, server.Seq = event.SourcePopinServer, "3ab7", "", "", 0
	server.Context = event.Context{IP: "198.51.100.9", UserAgent: "Popin-Webhook"}
	custom := ev(3, "acme", "my_custom_thing", map[string]any{"plan": "gold"})
	custom.Source, custom.Known = event.SourceCustom, false
	custom.Context.UserID = "crm-7"
	skewed := ev(4, "acme", "nudge_open", map[string]any{"uid": "u-4"})
	skewed.ClientTime = base.AddDate(3, 0, 0) // client clock years ahead
	log.Append(browser, server)
	log.Append(custom, skewed)
	startSink(t, db, log, nil)
	testkit.Eventually(t, 20*time.Second, log.ackedAll(2))

	tests := []struct {
		in        event.Event
		wantTime  time.Time
		wantKnown uint8
		wantIP    string
	}{
		{browser, browser.ClientTime, 1, "203.0.113.0"},
		{server, server.ClientTime, 1, "198.51.100.0"},
		{custom, custom.ClientTime, 0, "203.0.113.0"},
		{skewed, skewed.ReceivedAt.Truncate(time.Second), 1, "203.0.113.0"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(string(tt.in.Source)+"/"+tt.in.Name, func(t *testing.T) {
			var r row
			err := db.Conn().QueryRow(ctx, "SELECT "+chdbColumns+" FROM events FINAL WHERE event_id = ?", tt.in.ID).Scan(
				&r.EventID, &r.SiteID, &r.Name, &r.Source, &r.Known, &r.UID, &r.AID, &r.SID, &r.Seq,
				&r.ClientTS, &r.ReceivedAt, &r.EventTime, &r.EventDate, &r.URL, &r.Referrer, &r.Title,
				&r.UTMSource, &r.UTMMedium, &r.UTMCampaign, &r.UTMTerm, &r.UTMCt,
				&r.FBP, &r.FBC, &r.Country, &r.IP, &r.UserAgent, &r.Data, &r.UserID)
			if err != nil {
				t.Fatal(err)
			}
			e := tt.in
			wantData, _ := pii.Apply(e.Data, "hash", pii.Region{Seen: e.Context.Country, Site: "IN"})
			checks := []struct {
				name      string
				got, want any
			}{
				{"site_id", r.SiteID, e.SiteID}, {"name", r.Name, e.Name}, {"source", r.Source, string(e.Source)},
				{"known", r.Known, tt.wantKnown}, {"uid", r.UID, e.UID}, {"aid", r.AID, e.AnonID}, {"sid", r.SID, e.SessionID},
				{"seq", r.Seq, e.Seq},
				{"client_ts", r.ClientTS.Unix(), e.ClientTime.Unix()}, {"received_at", r.ReceivedAt.Unix(), e.ReceivedAt.Unix()},
				{"event_time", r.EventTime.Unix(), tt.wantTime.Unix()},
				{"event_date", r.EventDate.Format(time.DateOnly), tt.wantTime.Format(time.DateOnly)},
				{"url", r.URL, e.Context.URL}, {"referrer", r.Referrer, e.Context.Referrer}, {"title", r.Title, e.Context.Title},
				{"utm_source", r.UTMSource, e.Context.UTM["source"]}, {"utm_medium", r.UTMMedium, e.Context.UTM["medium"]},
				{"utm_campaign", r.UTMCampaign, e.Context.UTM["campaign"]}, {"utm_term", r.UTMTerm, e.Context.UTM["term"]},
				{"utm_content", r.UTMCt, e.Context.UTM["content"]},
				{"fbp", r.FBP, e.Context.FBP}, {"fbc", r.FBC, e.Context.FBC}, {"country", r.Country, e.Context.Country},
				{"ip", r.IP, tt.wantIP}, {"user_agent", r.UserAgent, e.Context.UserAgent}, {"data", r.Data, wantData},
				{"user_id", r.UserID, e.Context.UserID},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
		})
	}
}

const chdbColumns = "event_id, site_id, name, source, known, uid, aid, sid, seq, client_ts, received_at, " +
	"event_time, event_date, url, referrer, title, utm_source, utm_medium, utm_campaign, utm_term, utm_content, " +
	"fbp, fbc, country, ip, user_agent, data, user_id"

func TestSinkPIIPolicies(t *testing.T) {
	db := openDB(t, chtest.Shared(t))
	log := newMemLog()
	captured := map[string]any{"name": "Asha", "email": "Asha@Example.com", "mobile": "9876543210", "country": "IN", "uid": "u-1"}
	london := map[string]any{"mobile": "020 7946 0958", "country": "United Kingdom"}
	emailHash := piinorm.Hash("asha@example.com")
	phoneIN := piinorm.Hash("919876543210")
	tests := []struct {
		site             string
		data             map[string]any
		wantData, wantIP string
	}{
		{"acme", captured, `{"country":"IN","email":"` + emailHash + `","mobile":"` + phoneIN + `","name":"Asha","uid":"u-1"}`, "203.0.113.0"},
		{"rawco", captured, `{"country":"IN","email":"Asha@Example.com","mobile":"9876543210","name":"Asha","uid":"u-1"}`, "203.0.113.77"},
		{"dropco", captured, `{"country":"IN","uid":"u-1"}`, ""},
		// An unknown site gets the default (hash) policy; phones are read
		// in the event's country.
		{"nosuchsite", captured, `{"country":"IN","email":"` + emailHash + `","mobile":"` + phoneIN + `","name":"Asha","uid":"u-1"}`, "203.0.113.0"},
		// The payload's country comes before the site's default_phone_region (IN).
		{"acme", london, `{"country":"United Kingdom","mobile":"` + piinorm.Hash("442079460958") + `"}`, "203.0.113.0"},
	}
	for i, tt := range tests {
		log.Append(ev(100+i, tt.site, "popin_captured", tt.data))
	}
	startSink(t, db, log, nil)
	testkit.Eventually(t, 20*time.Second, log.ackedAll(-1))
	for i, tt := range tests {
		t.Run(fmt.Sprint(tt.site, i), func(t *testing.T) {
			var data, ip string
			if err := db.Conn().QueryRow(context.Background(), "SELECT data, ip FROM events FINAL WHERE event_id = ?", ev(100+i, "", "", nil).ID).Scan(&data, &ip); err != nil {
				t.Fatal(err)
			}
			if data != tt.wantData || ip != tt.wantIP {
				t.Errorf("data, ip = %s, %q\nwant        %s, %q", data, ip, tt.wantData, tt.wantIP)
			}
		})
	}
}

// The log redelivers everything (lost acks) and one segment repeats events
// of another: FINAL and uniqExact still see each event once.
func TestSinkDuplicatesStoredOnce(t *testing.T) {
	db := openDB(t, chtest.Shared(t))
	log := newMemLog()
	const n = 500
	for i := 0; i < n; i += 50 {
		var evs []event.Event
		for j := i; j < i+50; j++ {
			evs = append(evs, ev(j, "acme", "nudge_show", map[string]any{"uid": "u"}))
		}
		log.Append(evs...)
	}
	log.Append(ev(7, "acme", "nudge_show", map[string]any{"uid": "u"}), ev(8, "acme", "nudge_show", map[string]any{"uid": "u"}))
	startSink(t, db, log, nil)
	testkit.Eventually(t, 20*time.Second, log.ackedAll(-1)) // first pass
	log.redeliver()
	testkit.Eventually(t, 20*time.Second, log.ackedAll(-1)) // second pass

	if raw := queryUint(t, db, "SELECT count() FROM events"); raw <= n {
		t.Fatalf("raw count %d: the test did not insert duplicates", raw)
	}
	if got := queryUint(t, db, "SELECT count() FROM events FINAL"); got != n {
		t.Errorf("count() FINAL = %d, want %d", got, n)
	}
	if got := queryUint(t, db, "SELECT uniqExact(event_id) FROM events"); got != n {
		t.Errorf("uniqExact(event_id) = %d, want %d", got, n)
	}
	if err := db.Conn().Exec(context.Background(), "OPTIMIZE TABLE events FINAL"); err != nil {
		t.Fatal(err)
	}
	if got := queryUint(t, db, "SELECT count() FROM events"); got != n {
		t.Errorf("after OPTIMIZE FINAL count() = %d, want %d", got, n)
	}
}

func TestSinkShutdownFlushesBuffer(t *testing.T) {
	db := openDB(t, chtest.Shared(t))
	log := newMemLog()
	s := startSink(t, db, log, func(c *chsink.Config) { c.FlushInterval = time.Hour })
	log.Append(ev(1, "acme", "nudge_show", nil), ev(2, "acme", "nudge_open", nil))
	testkit.Eventually(t, 10*time.Second, func() error {
		log.mu.Lock()
		defer log.mu.Unlock()
		if !log.segs[0].inflight {
			return errors.New("segment not fetched yet")
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if a, _ := log.counts(); a != 1 {
		t.Errorf("acked %d segments after Shutdown, want 1", a)
	}
	if got := queryUint(t, db, "SELECT count() FROM events FINAL"); got != 2 {
		t.Errorf("rows = %d, want 2", got)
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

func TestSinkLifecycle(t *testing.T) {
	db := openDB(t, chtest.Shared(t))
	s, err := chsink.New(chsink.NewDefaultConfig(), chsink.Settings{DB: db, Reader: newMemLog(), Sites: testSites(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown without Start: %v", err)
	}
	if err := s.Start(context.Background()); err == nil {
		t.Error("Start after Shutdown succeeded")
	}
	if _, err := chsink.New(chsink.Config{}, chsink.Settings{}); err == nil {
		t.Error("New with zero config and settings succeeded")
	}
}

func TestSinkShutdownContract(t *testing.T) {
	db := openDB(t, chtest.Shared(t))
	testkit.CheckShutdown(t, func(t *testing.T) testkit.Part {
		s, err := chsink.New(chsink.NewDefaultConfig(), chsink.Settings{DB: db, Reader: newMemLog(), Sites: testSites(), Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
