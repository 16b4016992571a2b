package eventlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/testkit"
)

func siteEvent(site, id string, size int) event.Event {
	e := testEvent(id)
	e.SiteID = site
	e.Data = json.RawMessage(bigEvent(id, size))
	return e
}

// TestSiteShare: one site flooding a small log is refused at its share
// while another site's events are still appended; the counts survive a
// restart, and purging what the reader acked gives the flooder room again.
func TestSiteShare(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.MaxBytes = 1 << 20
	cfg.MaxCommitBytes = 64 << 10
	cfg.SiteMaxShare = 0.5
	l := openLog(t, cfg)
	r, err := l.Reader("sink")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	flooded := 0
	var refused error
	for i := range 100 { // 100 × 20 KiB is twice max_bytes
		if refused = l.Append(ctx, []event.Event{siteEvent("noisy", fmt.Sprintf("n-%d", i), 20<<10)}); refused != nil {
			break
		}
		flooded++
	}
	if !errors.Is(refused, ErrSiteFull) || !errors.Is(refused, ErrFull) {
		t.Fatalf("after %d appends the flooding site got %v, want ErrSiteFull (an ErrFull)", flooded, refused)
	}
	if flooded < 20 || flooded > 26 { // 0.5 MiB of 20 KiB events
		t.Fatalf("the flooding site appended %d events before its share was reached", flooded)
	}
	if n := testutilCount(t, l.m.siteRefusals); n != 1 {
		t.Fatalf("site share rejections metric = %v, want 1", n)
	}
	quiet := []event.Event{siteEvent("quiet", "q-1", 20<<10), siteEvent("quiet", "q-2", 20<<10)}
	if err := l.Append(ctx, quiet); err != nil {
		t.Fatalf("another site's append while the flooder is at its share: %v", err)
	}
	if err := l.Ready(ctx); err != nil {
		t.Fatalf("Ready with one site at its share = %v, want ready", err)
	}
	shutdown(t, l)

	l = openLog(t, cfg)
	r, err = l.Reader("sink")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(ctx, []event.Event{siteEvent("noisy", "n-after-restart", 20<<10)}); !errors.Is(err, ErrSiteFull) {
		t.Fatalf("flooding site after restart = %v, want ErrSiteFull (counts restored)", err)
	}
	if err := l.Append(ctx, []event.Event{siteEvent("quiet", "q-3", 20<<10)}); err != nil {
		t.Fatalf("another site after restart: %v", err)
	}
	readAll(t, r, flooded+3, 10*time.Second)
	testkit.Eventually(t, 10*time.Second, func() error {
		if _, err := l.purge(ctx); err != nil {
			t.Fatalf("purge: %v", err)
		}
		return l.Append(ctx, []event.Event{siteEvent("noisy", "n-after-purge", 20<<10)})
	})
}
