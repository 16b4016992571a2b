package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/popinbridge/bridge/bridge/internal/app"
	"github.com/popinbridge/bridge/bridge/internal/config"
)

// shutdownGrace bounds draining on SIGINT/SIGTERM.
const shutdownGrace = 30 * time.Second

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	delay := fs.Duration("shutdown-delay", 0, "on SIGTERM, answer /readyz 503 but keep serving this long before draining (e.g. 5s behind a Kubernetes Service)")
	role := fs.String("role", "", "what this node runs: all (default), ingest (SDK, ingest, log) or deliver (ClickHouse sink, forwarder, endpoint lifecycle); overrides the config's role")
	cfg, code := loadConfig(fs, args, stderr)
	if cfg == nil {
		return code
	}
	if *role != "" {
		if err := config.CheckRole(*role); err != nil {
			fmt.Fprintf(stderr, "bridge: --role: %v\n", err)
			return exitUsage
		}
		cfg.Role = *role
	}
	if *delay < 0 {
		fmt.Fprintln(stderr, "bridge: --shutdown-delay must not be negative")
		return exitUsage
	}
	logger := newLogger(cfg, stderr)
	a, err := app.New(cfg, logger, app.Options{ShutdownDelay: *delay})
	if err != nil {
		fmt.Fprintf(stderr, "bridge: %v\n", err)
		return exitRuntime
	}
	return runUntilSignal(a, logger, stderr, *delay)
}

// runUntilSignal starts a, waits for SIGINT/SIGTERM and drains within
// delay (a's ShutdownDelay) plus shutdownGrace.
func runUntilSignal(a *app.App, logger interface{ Info(string, ...any) }, stderr io.Writer, delay time.Duration) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := a.Start(ctx); err != nil {
		fmt.Fprintf(stderr, "bridge: %v\n", err)
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		_ = a.Shutdown(sctx)
		return exitRuntime
	}
	<-ctx.Done()
	logger.Info("shutting down: draining in-flight work", "delay", delay, "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), delay+shutdownGrace)
	defer cancel()
	if err := a.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "bridge: shutdown: %v\n", err)
		return exitRuntime
	}
	return exitOK
}
