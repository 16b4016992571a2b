package eventlog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/testkit"
)

func TestShutdownWithoutStartAndTwice(t *testing.T) {
	ctx := context.Background()
	l := newLog(t, testConfig(t.TempDir()), Settings{})
	if err := l.Append(ctx, events("x")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Append before Start = %v, want ErrUnavailable", err)
	}
	if err := l.Ready(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Ready before Start = %v, want ErrUnavailable", err)
	}
	for range 2 {
		if err := l.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown without Start: %v", err)
		}
	}
	if err := l.Start(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Start after Shutdown = %v, want ErrClosed", err)
	}

	l2 := newLog(t, testConfig(t.TempDir()), Settings{})
	r, err := l2.Reader("early") // before Start: bound during Start
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Fetch(ctx, 1, time.Millisecond); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Fetch before Start = %v, want ErrUnavailable", err)
	}
	if err := l2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l2.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if err := l2.Append(ctx, events("y")); err != nil {
		t.Fatal(err)
	}
	// The consumer's pending count follows the append asynchronously.
	testkit.Eventually(t, 10*time.Second, func() error {
		if p, err := r.Pending(); err != nil || p != 1 {
			return fmt.Errorf("Pending = %d, %v; want 1", p, err)
		}
		return nil
	})
	for range 2 {
		if err := l2.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	}
	if err := l2.Append(ctx, events("z")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Shutdown = %v, want ErrClosed", err)
	}
	if err := l2.Ready(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ready after Shutdown = %v, want ErrClosed", err)
	}
}

func TestShutdownDrainsInFlight(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.CommitDelay = 200 * time.Millisecond
	l := newLog(t, cfg, Settings{})
	ctx := context.Background()
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// A commit slot held as if a commit were in flight: appends sit in the
	// open batch for CommitDelay instead of being written at once.
	l.c.Load().slots <- struct{}{}
	done := make(chan error, 1)
	go func() { done <- l.Append(ctx, events("drained")) }()
	testkit.Eventually(t, 5*time.Second, func() error {
		l.c.Load().mu.Lock()
		n := l.c.Load().open.seg.Len()
		l.c.Load().mu.Unlock()
		if n != 1 {
			return fmt.Errorf("open batch holds %d events, want 1", n)
		}
		return nil
	})
	shutdown(t, l)
	if err := <-done; err != nil {
		t.Fatalf("Append in flight during Shutdown = %v, want nil (drained)", err)
	}
	l2 := openLog(t, cfg)
	if got := l2.c.Load().index.Len(); got != 1 {
		t.Fatalf("after reopen the log holds %d events, want 1", got)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   []string // keys named in the error; empty = valid
	}{
		{"defaults", func(c *Config) {}, nil},
		{"bad names", func(c *Config) { c.StreamName = "a.b"; c.Subject = "x.>" },
			[]string{"eventlog.stream_name", "eventlog.subject"}},
		{"short windows", func(c *Config) { c.DedupWindow = time.Minute; c.MaxAge = 30 * time.Second },
			[]string{"eventlog.dedup_window", "eventlog.max_age"}},
		{"everything wrong", func(c *Config) {
			*c = Config{CommitDelay: -1}
		}, []string{"eventlog.stream_name", "eventlog.subject", "eventlog.max_bytes",
			"eventlog.dedup_window", "eventlog.dedup_max_entries", "eventlog.commit_delay",
			"eventlog.max_commit_events", "eventlog.max_commit_bytes", "eventlog.max_inflight_commits",
			"eventlog.ack_wait", "eventlog.purge_interval", "eventlog.site_max_share"}},
		{"share above 1", func(c *Config) { c.SiteMaxShare = 1.5 }, []string{"eventlog.site_max_share"}},
		{"share off", func(c *Config) { c.SiteMaxShare = 1 }, nil},
		{"segment too big", func(c *Config) { c.MaxCommitBytes = 64 << 20 }, []string{"eventlog.max_commit_bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewDefaultConfig()
			tt.mutate(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want errors naming %v", tt.want)
			}
			for _, key := range tt.want {
				if !strings.Contains(err.Error(), key+":") {
					t.Errorf("error does not name %s:\n%v", key, err)
				}
			}
			if _, err := New(c, Settings{NATS: unstartedNATS(t)}); err == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}

func TestShutdownContract(t *testing.T) {
	testkit.CheckShutdown(t, func(t *testing.T) testkit.Part {
		return newLog(t, testConfig(t.TempDir()), Settings{Logger: testLogger()})
	})
}

// unstartedNATS is a NATS part that was never started (New does no I/O).
func unstartedNATS(t *testing.T) *natsrv.Server {
	t.Helper()
	n, err := natsrv.New(natsrv.Config{Dir: t.TempDir()}, natsrv.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The Log needs a NATS part and that part started: without, New fails;
// before it starts, Start fails retryably and succeeds once it has.
func TestNeedsStartedNATS(t *testing.T) {
	ctx := context.Background()
	if _, err := New(NewDefaultConfig(), Settings{}); err == nil || !strings.Contains(err.Error(), "NATS") {
		t.Fatalf("New without NATS = %v, want an error naming Settings.NATS", err)
	}
	n := unstartedNATS(t)
	t.Cleanup(func() { _ = n.Shutdown(ctx) })
	l, err := New(NewDefaultConfig(), Settings{NATS: n, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Start(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Start before NATS = %v, want ErrUnavailable", err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	subs := n.Conn().NumSubscriptions()
	if err := l.Start(ctx); err != nil {
		t.Fatalf("Start after NATS started: %v", err)
	}
	if err := l.Append(ctx, events("after-nats")); err != nil {
		t.Fatal(err)
	}
	if got := n.Conn().NumSubscriptions(); got <= subs {
		t.Fatalf("running log holds %d subscriptions, want more than %d (its publisher's)", got, subs)
	}
	if err := l.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	// NATS belongs to its owner: the Log's Shutdown leaves it running, with
	// none of the Log's subscriptions left on the shared connection.
	if got := n.Conn().NumSubscriptions(); got != subs {
		t.Fatalf("after the Log's Shutdown the connection holds %d subscriptions, want %d", got, subs)
	}
	if err := n.Ready(ctx); err != nil {
		t.Fatalf("NATS after the Log's Shutdown: %v", err)
	}
}
