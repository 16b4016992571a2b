package erasure_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/controlplane/erasure"
	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/consentstore"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/piicrypt"
	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/site"
	"github.com/popinbridge/bridge/internal/suppress"
	"github.com/popinbridge/bridge/internal/testkit"
)

var (
	quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
)

type env struct {
	db      *chdb.DB
	svc     *erasure.Service
	consent *consentstore.Store
	box     *piicrypt.Box
	sup     *suppress.List
	n       int
}

func newEnv(t *testing.T, opts ...func(*erasure.Config, *erasure.Settings)) *env {
	t.Helper()
	cfg := chdb.NewDefaultConfig()
	cfg.Addr, cfg.Database = chtest.Shared(t).Addr(), chtest.DatabaseName("erasure")
	return newEnvOn(t, chtest.MigratedDB(t, cfg, chdb.Settings{}), opts...)
}

// newEnvOn runs the service against db, migrated.
func newEnvOn(t *testing.T, db *chdb.DB, opts ...func(*erasure.Config, *erasure.Settings)) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	js := natsrv.Fixed(natstest.JetStream(t))
	cs, err := consentstore.New(consentstore.NewDefaultConfig(), consentstore.Settings{NATS: js, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Shutdown(context.Background()) })
	sup, err := suppress.New(suppress.Settings{NATS: js, Bucket: "TEST_SUPPRESS", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := sup.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sup.Shutdown(context.Background()) })
	box, err := piicrypt.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sites := site.NewStatic([]site.Site{
		{ID: "hashco", WriteKey: "pk_h", PII: site.PIIHash, DefaultPhoneRegion: "IN"},
		{ID: "encco", WriteKey: "pk_e", PII: site.PIIEncrypt},
	})
	ecfg, eset := erasure.NewDefaultConfig(), erasure.Settings{NATS: js, Bucket: "TEST_ERASURES", DB: func() *chdb.DB { return db },
		Sites: sites, Consent: cs, Suppress: sup, Box: box, Logger: quiet}
	for _, o := range opts {
		o(&ecfg, &eset)
	}
	svc, err := erasure.New(ecfg, eset)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Shutdown(context.Background()) })
	return &env{db: db, svc: svc, consent: cs, box: box, sup: sup}
}

// event stores one event row and one delivery attempt of it (with bodies);
// it returns the event id.
func (e *env) event(t *testing.T, siteID, uid, aid, data string) string {
	t.Helper()
	e.n++
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", e.n)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	b, err := e.db.Conn().PrepareBatch(ctx, "INSERT INTO "+e.db.Table("events")+" ("+chtest.SyntheticEventColumns+")")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append(id, siteID, "popin_captured", "browser", uint8(1), uid, aid, "s", int64(1), now, now, now, now,
		"https://x/", "", "", "", "", "", "", "", "", "", "IN", "1.2.3.0", "UA", data); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	d, err := e.db.Conn().PrepareBatch(ctx, "INSERT INTO "+e.db.Table("deliveries")+" ("+chdb.DeliveriesColumns+")")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Append("d-"+id, id, "crm", siteID, "popin_captured", "w", uint32(1), uint16(200), uint8(1), uint32(5), "",
		now, time.Unix(0, 0).UTC(), uint8(0), "https://crm/", "{}", `{"body":"`+data+`"}`, `{"ok":true}`, "succeeded"); err != nil {
		t.Fatal(err)
	}
	if err := d.Send(); err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) count(t *testing.T, sql string) uint64 {
	t.Helper()
	var n uint64
	if err := e.db.Conn().QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (e *env) rowsOf(t *testing.T, ids ...string) uint64 {
	return e.count(t, "SELECT count() FROM "+e.db.Table("events")+" WHERE event_id IN ('"+strings.Join(ids, "','")+"')")
}

func (e *env) bodiesOf(t *testing.T, ids ...string) uint64 {
	return e.count(t, "SELECT count() FROM "+e.db.Table("deliveries")+" WHERE request_body != '' AND event_id IN ('"+strings.Join(ids, "','")+"')")
}

func (e *env) erase(t *testing.T, req erasure.Request) erasure.Job {
	t.Helper()
	j, err := e.svc.Submit(context.Background(), req, "admin_token")
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != erasure.StatusPending || !strings.HasPrefix(j.ID, "er_") {
		t.Fatalf("submitted %+v", j)
	}
	testkit.Eventually(t, 60*time.Second, func() error {
		j, err = e.svc.Job(context.Background(), j.ID)
		if err != nil {
			return err
		}
		if j.Status != erasure.StatusDone && j.Status != erasure.StatusFailed {
			return fmt.Errorf("status %s", j.Status)
		}
		return nil
	})
	if j.Status != erasure.StatusDone {
		t.Fatalf("job %+v", j)
	}
	return j
}

// Erasure by e-mail on a hash site and by uid and by e-mail on an encrypt
// site: the person's rows are gone (also their rows without the e-mail,
// through their uid), their delivery bodies emptied, their remembered
// consent forgotten; other people's rows and bodies stay; the audit record
// names no identifier.
func TestErasure(t *testing.T) {
	e := newEnv(t)
	email := "Asha.Rao@Example.com"
	hashed := piinorm.Hash(piinorm.Email(email))
	lead := e.event(t, "hashco", "u-asha", "a-1", `{"email":"`+hashed+`","name":"Asha"}`)
	browse := e.event(t, "hashco", "u-asha", "a-1", `{"screen":"home"}`)
	other := e.event(t, "hashco", "u-bob", "a-2", `{"email":"`+piinorm.Hash("bob@example.com")+`"}`)
	sameMailOtherSite := e.event(t, "encco", "u-asha", "a-9", `{"email":"`+e.box.Seal(email)+`"}`)
	encOther := e.event(t, "encco", "u-carl", "a-3", `{"email":"`+e.box.Seal("carl@example.com")+`"}`)
	encUID := e.event(t, "encco", "u-dana", "a-4", `{"screen":"home"}`)
	e.consent.Observe("hashco", "u-asha", map[string]bool{"ads": false})
	e.consent.Observe("hashco", "u-bob", map[string]bool{"ads": false})
	testkit.Eventually(t, 10*time.Second, func() error {
		if c, err := e.consent.Lookup(context.Background(), "hashco", "u-asha"); err != nil || c == nil {
			return fmt.Errorf("consent not remembered yet (%v)", err)
		}
		return nil
	})
	if e.rowsOf(t, lead, browse, other, sameMailOtherSite, encOther, encUID) != 6 || e.bodiesOf(t, lead, browse, other) != 3 {
		t.Fatal("fixture rows missing") // the positive control for the "gone" checks below
	}

	j := e.erase(t, erasure.Request{Site: "hashco", Email: "  asha.rao@EXAMPLE.com"})
	if n := e.rowsOf(t, lead, browse); n != 0 {
		t.Errorf("%d of the person's rows left", n)
	}
	if n := e.bodiesOf(t, lead, browse); n != 0 {
		t.Errorf("%d of the person's delivery bodies left", n)
	}
	if e.rowsOf(t, other, sameMailOtherSite) != 2 || e.bodiesOf(t, other) != 1 {
		t.Error("another person's rows, or the same e-mail on another site, were touched")
	}
	if j.Counts.Events != 2 || j.Counts.Deliveries != 2 || j.Counts.UIDs != 1 {
		t.Errorf("counts %+v, want 2 events, 2 deliveries, 1 uid", j.Counts)
	}
	if c, _ := e.consent.Lookup(context.Background(), "hashco", "u-asha"); c != nil {
		t.Errorf("consent still remembered: %v", c)
	}
	if c, _ := e.consent.Lookup(context.Background(), "hashco", "u-bob"); c == nil {
		t.Error("another visitor's consent was forgotten")
	}
	audit, _ := json.Marshal(j)
	for _, pii := range []string{"asha", "Asha", "u-asha", hashed} {
		if strings.Contains(string(audit), pii) {
			t.Errorf("audit record holds %q: %s", pii, audit)
		}
	}

	e.erase(t, erasure.Request{Site: "encco", Email: email})
	if e.rowsOf(t, sameMailOtherSite) != 0 || e.rowsOf(t, encOther, encUID) != 2 {
		t.Error("encrypt site: sealed e-mail not erased, or others touched")
	}
	phone := e.event(t, "hashco", "", "a-5", `{"mobile":"`+piinorm.Hash(piinorm.Phone("9876543210", "IN"))+`"}`)
	rawPhone := e.event(t, "hashco", "", "a-6", `{"full_phone_number":"+919876543210"}`)
	otherPhone := e.event(t, "hashco", "", "a-7", `{"mobile":"`+piinorm.Hash(piinorm.Phone("9876543211", "IN"))+`"}`)
	e.erase(t, erasure.Request{Site: "hashco", Phone: "+91 98765 43210"})
	if e.rowsOf(t, phone, rawPhone) != 0 || e.rowsOf(t, otherPhone) != 1 {
		t.Error("erasure by phone (hashed and raw)")
	}
	e.erase(t, erasure.Request{Site: "encco", UID: "u-dana"})
	if e.rowsOf(t, encUID) != 0 || e.rowsOf(t, encOther) != 1 {
		t.Error("erasure by uid")
	}

	// The list: one site's records, newest first, no identifier.
	all, err := e.svc.List(context.Background(), "")
	if err != nil || len(all) != 4 {
		t.Fatalf("List(\"\") = %d records, %v; want 4", len(all), err)
	}
	hash, err := e.svc.List(context.Background(), "hashco")
	if err != nil || len(hash) != 2 || hash[0].Kind != erasure.KindPhone || hash[1].ID != j.ID || hash[1].Status != erasure.StatusDone {
		t.Fatalf("List(hashco) = %+v, %v; want the phone request then %s", hash, err, j.ID)
	}
	listed, _ := json.Marshal(all)
	for _, pii := range []string{"asha", "u-dana", "98765", "sealed"} {
		if strings.Contains(string(listed), pii) {
			t.Errorf("list holds %q: %s", pii, listed)
		}
	}
}

// Erasure by aid: the rows of that anonymous id are gone from events and
// their delivery bodies emptied, the consent of the uid they carry is
// forgotten, other aids' rows stay; a later event with the aid, or with
// that uid, is on the suppression list, another visitor's is not.
func TestErasureByAID(t *testing.T) {
	e := newEnv(t)
	first := e.event(t, "hashco", "", "a-anon", `{"screen":"home"}`)
	second := e.event(t, "hashco", "u-anon", "a-anon", `{"screen":"form"}`)
	otherAID := e.event(t, "hashco", "u-eve", "a-eve", `{"screen":"home"}`)
	sameAIDOtherSite := e.event(t, "encco", "", "a-anon", `{"screen":"home"}`)
	e.consent.Observe("hashco", "u-anon", map[string]bool{"ads": false})
	testkit.Eventually(t, 10*time.Second, func() error {
		if c, err := e.consent.Lookup(context.Background(), "hashco", "u-anon"); err != nil || c == nil {
			return fmt.Errorf("consent not remembered yet (%v)", err)
		}
		return nil
	})
	if e.rowsOf(t, first, second, otherAID, sameAIDOtherSite) != 4 || e.bodiesOf(t, first, second, otherAID) != 3 {
		t.Fatal("fixture rows missing") // the positive control for the "gone" checks below
	}
	later := func(siteID, uid, aid string) *event.Event {
		return &event.Event{SiteID: siteID, UID: uid, AnonID: aid, Data: []byte(`{"screen":"home"}`)}
	}
	if e.sup.Suppressed(later("hashco", "", "a-anon"), "IN") {
		t.Fatal("aid suppressed before its erasure")
	}

	j := e.erase(t, erasure.Request{Site: "hashco", AID: "a-anon"})
	if n := e.rowsOf(t, first, second); n != 0 {
		t.Errorf("%d of the aid's rows left", n)
	}
	if n := e.bodiesOf(t, first, second); n != 0 {
		t.Errorf("%d of the aid's delivery bodies left", n)
	}
	if e.rowsOf(t, otherAID, sameAIDOtherSite) != 2 || e.bodiesOf(t, otherAID) != 1 {
		t.Error("another aid's rows, or the same aid on another site, were touched")
	}
	if j.Kind != erasure.KindAID || j.Counts.Events != 2 || j.Counts.Deliveries != 2 || j.Counts.UIDs != 1 {
		t.Errorf("job kind %q counts %+v, want aid: 2 events, 2 deliveries, 1 uid", j.Kind, j.Counts)
	}
	if c, _ := e.consent.Lookup(context.Background(), "hashco", "u-anon"); c != nil {
		t.Errorf("consent of the aid's uid still remembered: %v", c)
	}
	audit, _ := json.Marshal(j)
	for _, pii := range []string{"a-anon", "u-anon"} {
		if strings.Contains(string(audit), pii) {
			t.Errorf("audit record holds %q: %s", pii, audit)
		}
	}
	for _, tc := range []struct {
		name string
		ev   *event.Event
		want bool
	}{
		{"same aid", later("hashco", "", "a-anon"), true},
		{"same aid new uid", later("hashco", "u-new", "a-anon"), true},
		{"uid found on the aid's rows", later("hashco", "u-anon", "a-new"), true},
		{"another aid", later("hashco", "u-eve", "a-eve"), false},
		{"same aid other site", later("encco", "", "a-anon"), false},
	} {
		if got := e.sup.Suppressed(tc.ev, "IN"); got != tc.want {
			t.Errorf("%s: Suppressed = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestErasureRequestValidation(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		req   erasure.Request
		field string
	}{
		{erasure.Request{UID: "u"}, "site"},
		{erasure.Request{Site: "hashco"}, "uid"},
		{erasure.Request{Site: "hashco", UID: "u", Email: "a@b.co"}, "email"},
		{erasure.Request{Site: "nosuch", UID: "u"}, "site"},
		{erasure.Request{Site: "hashco", Email: "not-an-email"}, "email"},
		{erasure.Request{Site: "hashco", Phone: "12"}, "phone"},
	} {
		_, err := e.svc.Submit(context.Background(), tc.req, "admin_token")
		var fe *erasure.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("Submit(%+v) = %v, want a field error on %s", tc.req, err, tc.field)
		}
	}
	if _, err := e.svc.Job(context.Background(), "er_nosuch"); !errors.Is(err, erasure.ErrNotFound) {
		t.Errorf("unknown job: %v", err)
	}
}

func TestShutdown(t *testing.T) {
	js := natsrv.Fixed(natstest.JetStream(t))
	testkit.CheckShutdown(t, func(t *testing.T) testkit.Part {
		s, err := erasure.New(erasure.NewDefaultConfig(), erasure.Settings{NATS: js, Bucket: "T_ERASURES", DB: func() *chdb.DB { return nil },
			Sites: site.NewStatic(nil), Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
