// Package cli implements the bridge command line (CONTRACT §2).
// Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
package cli

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/popinbridge/bridge/bridge/internal/buildinfo"
	"github.com/popinbridge/bridge/bridge/internal/config"
)

const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run every part in one process", runServe},
		{"migrate", "create or update the ClickHouse schema", runMigrate},
		{"check-config", "validate the configuration and list every problem", runCheckConfig},
		{"sdk", "write the bundled browser SDK", runSDK},
		{"demo", "start ClickHouse, the bridge and a demo page", runDemo},
		{"version", "print the version, commit and build date", runVersion},
	}
}

// Main runs the CLI and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "bridge: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

// runVersion prints buildinfo.Get() (set by `make build` with -ldflags, or
// read from the Go build information).
func runVersion(_ []string, stdout, _ io.Writer) int {
	fmt.Fprintln(stdout, buildinfo.Get())
	return exitOK
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: bridge <command> [--config FILE]")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
}

// configFlag registers --config (default $BRIDGE_CONFIG).
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", os.Getenv("BRIDGE_CONFIG"), "YAML configuration file")
}

// loadConfig parses the flags (just --config) and loads the configuration.
func loadConfig(fs *flag.FlagSet, args []string, stderr io.Writer) (*config.Config, int) {
	fs.SetOutput(stderr)
	path := configFlag(fs)
	if err := fs.Parse(args); err != nil {
		return nil, exitUsage
	}
	return load(*path, stderr)
}

// load reads path, or the development defaults when it is empty (and says
// so), and validates the result.
func load(path string, stderr io.Writer) (*config.Config, int) {
	var cfg *config.Config
	if path == "" {
		fmt.Fprintln(stderr, "bridge: no --config given; using built-in development defaults (see README: Configuration)")
		cfg = config.Default()
	} else {
		var err error
		if cfg, err = config.Load(path); err != nil {
			fmt.Fprintf(stderr, "bridge: %v\n", err)
			return nil, exitUsage
		}
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "bridge: invalid configuration:\n%s\n", indent(err))
		return nil, exitUsage
	}
	return cfg, exitOK
}

func indent(err error) string {
	lines := strings.Split(err.Error(), "\n")
	return "  - " + strings.Join(lines, "\n  - ")
}

func runCheckConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	printDefaults := fs.Bool("print-defaults", false, "print every key with its default value and exit")
	path := configFlag(fs)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *printDefaults {
		b, err := config.DefaultYAML()
		if err != nil {
			fmt.Fprintf(stderr, "bridge: %v\n", err)
			return exitRuntime
		}
		_, _ = stdout.Write(b)
		return exitOK
	}
	cfg, code := load(*path, stderr)
	if cfg == nil {
		return code
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintln(stderr, "warning:", w)
	}
	fmt.Fprintln(stdout, "configuration ok")
	return exitOK
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
