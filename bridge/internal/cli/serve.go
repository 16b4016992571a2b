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
)

// shutdownGrace bounds draining on SIGINT/SIGTERM.
const shutdownGrace = 30 * time.Second

func runServe(args []string, stdout, stderr io.Writer) int {
	cfg, code := loadConfig(flag.NewFlagSet("serve", flag.ContinueOnError), args, stderr)
	if cfg == nil {
		return code
	}
	logger := newLogger(cfg, stderr)
	a, err := app.New(cfg, logger, app.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "bridge: %v\n", err)
		return exitRuntime
	}
	return runUntilSignal(a, logger, stderr)
}

// runUntilSignal starts a, waits for SIGINT/SIGTERM and drains.
func runUntilSignal(a *app.App, logger interface{ Info(string, ...any) }, stderr io.Writer) int {
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
	logger.Info("shutting down: draining in-flight work", "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := a.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "bridge: shutdown: %v\n", err)
		return exitRuntime
	}
	return exitOK
}
