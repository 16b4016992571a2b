package suppress

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/testkit"
)

func open(t *testing.T, js natsrv.JetStreamer) *List {
	t.Helper()
	l, err := New(Settings{NATS: js, Bucket: "TEST_SUPPRESS", Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Shutdown(context.Background()) })
	return l
}

func ev(site, uid, aid, data string) *event.Event {
	return &event.Event{SiteID: site, UID: uid, AnonID: aid, Data: json.RawMessage(data)}
}

// An identifier added on one node suppresses, on another node sharing the
// bucket, the events carrying it (uid, aid, e-mail or phone in the payload
// at any depth, as written before normalisation) on that site only; other
// people's events are not suppressed. A node started later loads the list.
func TestListSharedAndMatching(t *testing.T) {
	srv := natstest.StartServer(t)
	a := open(t, natsrv.Fixed(srv.Connect(t)))
	b := open(t, natsrv.Fixed(srv.Connect(t)))
	ctx := context.Background()

	probe := ev("s1", "u-erased", "", `{}`)
	if b.Suppressed(probe, "") {
		t.Fatal("suppressed before anything was added")
	}
	for _, add := range []struct{ kind, value, region string }{
		{KindUID, "u-erased", ""},
		{KindAID, "a-erased", ""},
		{KindEmail, " Ann@Example.COM ", ""},
		{KindPhone, "06 12 34 56 78", "FR"},
	} {
		if err := a.Add(ctx, "s1", add.kind, Normalise(add.kind, add.value, add.region)); err != nil {
			t.Fatal(err)
		}
	}
	if !a.Suppressed(probe, "") {
		t.Fatal("the adding node does not suppress at once")
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if !b.Suppressed(probe, "") {
			return errors.New("node b does not see the uid yet")
		}
		return nil
	})
	c := open(t, natsrv.Fixed(srv.Connect(t)))
	for _, tc := range []struct {
		name string
		e    *event.Event
		want bool
	}{
		{"uid", ev("s1", "u-erased", "", `{}`), true},
		{"aid", ev("s1", "", "a-erased", `null`), true},
		{"email new uid", ev("s1", "u-new", "a-new", `{"form":{"customer_email":"ann@example.com"}}`), true},
		{"email in array", ev("s1", "", "", `{"people":[{"Email":"ANN@example.com"}]}`), true},
		{"phone string", ev("s1", "", "", `{"phone":"+33 6 12 34 56 78"}`), true},
		{"phone number", ev("s1", "", "", `{"mobile":33612345678}`), true},
		{"other person", ev("s1", "u-other", "a-other", `{"email":"bob@example.com","phone":"+33 6 99 99 99 99"}`), false},
		{"same uid other site", ev("s2", "u-erased", "", `{"email":"ann@example.com"}`), false},
		{"not json", ev("s1", "u-other", "", `{"email":`), false},
		{"email as a name value", ev("s1", "", "", `{"note":"ann@example.com"}`), false},
	} {
		for name, l := range map[string]*List{"b": b, "c (started later)": c} {
			if got := l.Suppressed(tc.e, "FR"); got != tc.want {
				t.Errorf("%s on %s: suppressed %v, want %v", tc.name, name, got, tc.want)
			}
		}
	}
	var nilList *List
	if nilList.Suppressed(probe, "") {
		t.Error("a nil list suppresses")
	}
}

// Add outside Start..Shutdown fails; Shutdown is safe without Start and twice.
func TestListLifecycle(t *testing.T) {
	srv := natstest.StartServer(t)
	l, err := New(Settings{NATS: natsrv.Fixed(srv.Connect(t)), Bucket: "TEST_SUPPRESS"})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Add(context.Background(), "s1", KindUID, "u"); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Add before Start: %v", err)
	}
	testkit.CheckShutdown(t, func(t *testing.T) testkit.Part {
		p, err := New(Settings{NATS: natsrv.Fixed(srv.Connect(t)), Bucket: "TEST_SUPPRESS"})
		if err != nil {
			t.Fatal(err)
		}
		return p
	})
	if _, err := New(Settings{}); err == nil {
		t.Fatal("New without NATS and Bucket succeeded")
	}
}
