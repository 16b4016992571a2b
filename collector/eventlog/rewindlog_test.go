package eventlog

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/testkit"
)

// TestReaderRestartLogsNoUncleanStop (issue 9.9): a reader's start never
// calls the previous stop unclean. After a clean Shutdown with every
// fetched segment acked, the restarted reader logs no rewind at all; after
// a stop that left fetched segments unacked (as a crash does), the rewind
// line is logged — the positive control that the capture sees it — and
// does not say "unclean" either.
func TestReaderRestartLogsNoUncleanStop(t *testing.T) {
	const rewound = "reader resumes at its ack floor"
	for _, tc := range []struct {
		name       string
		ack        bool // ack what was fetched before the stop
		wantRewind bool
	}{
		{"clean stop, all acked", true, false},
		{"stop with fetched segments unacked (a crash, or a stopping reader)", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			cfg.AckWait = time.Hour
			ctx := context.Background()

			l := openLog(t, cfg)
			r, err := l.Reader("sink")
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Append(ctx, events(ids("a", 3)...)); err != nil {
				t.Fatal(err)
			}
			if tc.ack {
				if got := readAll(t, r, 3, 10*time.Second); len(got) != 3 {
					t.Fatalf("read %v before the stop, want 3 events", got)
				}
			} else if segs, err := r.Fetch(ctx, 10, 5*time.Second); err != nil || len(segs) == 0 {
				t.Fatalf("fetch: %v, %d segments", err, len(segs))
			}
			shutdown(t, l)

			var out testkit.LockedBuffer
			logger := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
			l2 := newLog(t, cfg, Settings{Logger: logger, Registerer: prometheus.NewRegistry()})
			startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := l2.Start(startCtx); err != nil {
				t.Fatalf("Start: %v", err)
			}
			t.Cleanup(func() { shutdown(t, l2) })
			r2, err := l2.Reader("sink")
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantRewind {
				readAll(t, r2, 3, 10*time.Second)
			} else {
				assertNoMore(t, l2, r2)
			}
			logged := out.String()
			if got := strings.Contains(logged, rewound); got != tc.wantRewind {
				t.Errorf("rewind logged %v, want %v; log:\n%s", got, tc.wantRewind, logged)
			}
			if strings.Contains(strings.ToLower(logged), "unclean") {
				t.Errorf("the restart calls the stop unclean; log:\n%s", logged)
			}
		})
	}
}
