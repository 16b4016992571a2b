package consentstore

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/testkit"
)

func open(t *testing.T, js natsrv.JetStreamer) *Store {
	t.Helper()
	s, err := New(NewDefaultConfig(), Settings{NATS: js, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s
}

func lookup(t *testing.T, s *Store, site, uid string) map[string]bool {
	t.Helper()
	c, err := s.Lookup(context.Background(), site, uid)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// eventuallySees waits until node s reads want for (site, uid) from the
// bucket (not from a write it queued itself).
func eventuallySees(t *testing.T, s *Store, site, uid string, want map[string]bool) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, func() error {
		if got := lookup(t, s, site, uid); !maps.Equal(got, want) {
			return fmt.Errorf("lookup %v, want %v", got, want)
		}
		return nil
	})
}

// Two nodes on one JetStream: what one observes, the other looks up; the
// same consent seen again is not written again; a change is.
func TestTwoNodesShareConsent(t *testing.T) {
	srv := natstest.StartServer(t)
	a := open(t, natsrv.Fixed(srv.Connect(t)))
	b := open(t, natsrv.Fixed(srv.Connect(t)))

	if got := lookup(t, b, "acme", "u1"); got != nil {
		t.Fatalf("unknown uid: %v, want nil (site default)", got)
	}
	a.Observe("acme", "u1", map[string]bool{"ad_user_data": false, "analytics_storage": true, "x_vendor": true})
	eventuallySees(t, b, "acme", "u1", map[string]bool{"ads": false, "analytics": true})
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := counter(a.m.writes); n != 1 {
			return fmt.Errorf("%v writes, want 1", n)
		}
		return nil
	})
	for range 50 {
		a.Observe("acme", "u1", map[string]bool{"ads": false, "analytics": true})
	}
	a.Observe("acme", "u1", nil)                        // states nothing
	a.Observe("acme", "", map[string]bool{"ads": true}) // no uid
	a.Observe("acme", "u1", map[string]bool{"ads": true})
	eventuallySees(t, b, "acme", "u1", map[string]bool{"ads": true}) // the positive control: a change is written
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := counter(a.m.writes); n != 2 {
			return fmt.Errorf("%v writes, want 2 (unchanged consents are not written)", n)
		}
		return nil
	})
	if got := lookup(t, b, "other", "u1"); got != nil {
		t.Fatalf("another site's uid: %v", got)
	}

	if err := b.Forget(context.Background(), "acme", "u1"); err != nil {
		t.Fatal(err)
	}
	if got := lookup(t, a, "acme", "u1"); got != nil {
		t.Fatalf("after Forget: %v", got)
	}
}

// A write still queued is what Lookup answers on the node that queued it.
func TestLookupSeesQueuedWrite(t *testing.T) {
	s := open(t, natsrv.Fixed(natstest.JetStream(t)))
	s.Observe("acme", "u2", map[string]bool{"ads": false})
	if got := lookup(t, s, "acme", "u2"); !maps.Equal(got, map[string]bool{"ads": false}) {
		t.Fatalf("lookup %v", got)
	}
}

// The consent survives a restart of the store and of NATS itself.
func TestConsentSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ns := natstest.Embedded(t, dir)
	s := open(t, ns)
	s.Observe("acme", "u3", map[string]bool{"ads": false})
	other := open(t, ns)
	eventuallySees(t, other, "acme", "u3", map[string]bool{"ads": false})
	ctx := context.Background()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := other.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ns.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	again := open(t, natstest.Embedded(t, dir))
	if got := lookup(t, again, "acme", "u3"); !maps.Equal(got, map[string]bool{"ads": false}) {
		t.Fatalf("after restart: %v", got)
	}
}

func TestObserveWhenStoppedIsCounted(t *testing.T) {
	s, err := New(NewDefaultConfig(), Settings{NATS: natsrv.Fixed(nil)})
	if err != nil {
		t.Fatal(err)
	}
	s.Observe("acme", "u", map[string]bool{"ads": true})
	if n := counter(s.m.dropped.WithLabelValues(dropClosed)); n != 1 {
		t.Fatalf("dropped{closed} = %v", n)
	}
	if _, err := s.Lookup(context.Background(), "acme", "u"); err == nil {
		t.Fatal("Lookup on a stopped store: no error")
	}
}

func TestShutdown(t *testing.T) {
	srv := natstest.StartServer(t)
	testkit.CheckShutdown(t, func(t *testing.T) testkit.Part {
		s, err := New(NewDefaultConfig(), Settings{NATS: natsrv.Fixed(srv.Connect(t))})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestCodec(t *testing.T) {
	for _, c := range []map[string]bool{nil, {"ads": true}, {"ads": false, "analytics": true, "functional": false}} {
		if got := decode(encode(c)); !maps.Equal(got, c) {
			t.Fatalf("decode(encode(%v)) = %v", c, got)
		}
	}
	if got := decode("ads=1,bogus=0,analytics=x,functional"); !maps.Equal(got, map[string]bool{"ads": true}) {
		t.Fatalf("decode tolerant: %v", got)
	}
	if Key("a", "u") == Key("a", "v") || Key("a", "u") == Key("b", "u") {
		t.Fatal("keys collide")
	}
}

func TestConfigValidate(t *testing.T) {
	c := Config{Bucket: "bad name", TTL: time.Minute, Replicas: 9}
	err := c.Validate()
	for _, key := range []string{"bucket", "ttl", "max_bytes", "replicas", "queue", "cache_entries", "cache_ttl"} {
		if err == nil || !strings.Contains(err.Error(), "consent_store."+key) {
			t.Errorf("Validate does not name consent_store.%s: %v", key, err)
		}
	}
	d := NewDefaultConfig()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
}

func counter(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}
