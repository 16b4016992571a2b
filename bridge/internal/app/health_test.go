package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/controlplane"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/event"
)

// get returns the status and body of GET url.
func get(t *testing.T, url string) (int, string, error) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func mustGet(t *testing.T, url string) (int, string) {
	t.Helper()
	code, body, err := get(t, url)
	if err != nil {
		t.Fatal(err)
	}
	return code, body
}

func startApp(t *testing.T, a *App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
}

// TestReadyzLogFull: with ClickHouse down the node is ready (degraded); once
// the log refuses an append as full, /readyz answers 503 naming the full log.
func TestReadyzLogFull(t *testing.T) {
	cfg := testConfig(t)
	cfg.EventLog.MaxBytes = 1 << 20
	cfg.EventLog.MaxCommitBytes = 64 << 10
	cfg.EventLog.SiteMaxShare = 1 // one site may fill the log: this test is about the whole log
	a, err := New(cfg, quietLogger(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	startApp(t, a)
	readyz := "http://" + a.Addr() + "/readyz"
	if code, body := mustGet(t, readyz); code != 200 || !strings.Contains(body, "degraded: clickhouse") {
		t.Fatalf("before filling the log: %d %q, want 200 degraded clickhouse", code, body)
	}
	var fullErr error
	for i := range 200 { // 200 × 20 KiB is well beyond max_bytes
		e := event.Event{
			ID: fmt.Sprintf("full-%06d", i), SiteID: "demo", Name: "popin_captured", Source: event.SourceBrowser, Known: true,
			SessionID: "s1", AnonID: "a1", Seq: 1, ClientTime: time.Now().UTC(), ReceivedAt: time.Now().UTC(),
			Data: json.RawMessage(`{"blob":"` + strings.Repeat("x", 20<<10) + `"}`),
		}
		if fullErr = a.elog.Append(context.Background(), []event.Event{e}); fullErr != nil {
			break
		}
	}
	if !errors.Is(fullErr, eventlog.ErrFull) {
		t.Fatalf("filling the log ended with %v, want ErrFull", fullErr)
	}
	code, body := mustGet(t, readyz)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "event_log: ") || !strings.Contains(body, "full") {
		t.Fatalf("log full: %d %q, want 503 naming the full event log", code, body)
	}
	if _, metrics := mustGet(t, "http://"+a.Addr()+"/metrics"); !strings.Contains(metrics, "\nbridge_ready 0\n") {
		t.Fatalf("metrics lack bridge_ready 0 while the log is full")
	}
}

// TestReadyzDuringShutdown: /readyz answers 200 before Shutdown and 503
// from the moment it begins, while the listener still serves for
// ShutdownDelay.
func TestReadyzDuringShutdown(t *testing.T) {
	a, err := New(testConfig(t), quietLogger(), Options{ShutdownDelay: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	startApp(t, a)
	base := "http://" + a.Addr()
	if code, body := mustGet(t, base+"/readyz"); code != 200 {
		t.Fatalf("before shutdown: %d %q, want 200", code, body)
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		done <- a.Shutdown(ctx)
	}()
	for i := 0; ; i++ {
		code, body, err := get(t, base+"/readyz")
		if err != nil {
			t.Fatalf("the listener closed before /readyz answered 503 (%d polls): %v", i, err)
		}
		if code == http.StatusServiceUnavailable {
			if !strings.Contains(body, "shutting down") {
				t.Fatalf("503 during shutdown without saying so: %q", body)
			}
			break
		}
		if code != 200 || i > 10000 {
			t.Fatalf("poll %d: %d %q", i, code, body)
		}
	}
	if code, _ := mustGet(t, base+"/healthz"); code != 200 {
		t.Fatalf("healthz during the shutdown delay = %d, want 200", code)
	}
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// TestReadyzDegradedDestinations: an active endpoint the control plane
// tracks as failing makes the node degraded, not unready; a paused one does
// not count.
func TestReadyzDegradedDestinations(t *testing.T) {
	a, err := New(testConfig(t), quietLogger(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	startApp(t, a)
	since := time.Now().UTC()
	a.manage.eng.Apply([]controlplane.Endpoint{
		{ID: "ep_failing", Site: "demo", URL: "https://hooks.example.com/a", FailingSince: &since},
		{ID: "ep_paused", Site: "demo", URL: "https://hooks.example.com/b", Status: endpoint.StatusPaused, FailingSince: &since},
		{ID: "ep_fine", Site: "demo", URL: "https://hooks.example.com/c"},
	})
	code, body := mustGet(t, "http://"+a.Addr()+"/readyz")
	if code != 200 || !strings.Contains(body, "degraded: destinations: 1 endpoint(s) failing: ep_failing\n") {
		t.Fatalf("%d %q, want 200 naming ep_failing as the one failing destination", code, body)
	}
	if _, metrics := mustGet(t, "http://"+a.Addr()+"/metrics"); !strings.Contains(metrics, `bridge_ready_degraded{component="destinations"} 1`) {
		t.Fatalf("metrics lack the degraded destinations")
	}
}
