package cli

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/popinbridge/bridge/bridge/internal/app"
	"github.com/popinbridge/bridge/bridge/internal/config"
	"github.com/popinbridge/bridge/bridge/internal/demo"
	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chlocal"
)

// runDemo is the newcomer's first run: a local ClickHouse when none is
// reachable, the bridge on defaults, and the demo pages.
func runDemo(args []string, stdout, stderr io.Writer) int {
	cfg, code := loadConfig(flag.NewFlagSet("demo", flag.ContinueOnError), args, stderr)
	if cfg == nil {
		return code
	}
	logger := newLogger(cfg, stderr)
	if len(cfg.Sites) == 0 {
		cfg.Sites = config.DevSites(cfg.Listen)
	}
	configureDemo(cfg)
	if !reachable(cfg.ClickHouse.Addr) {
		srv, err := startLocalClickHouse(cfg, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "bridge demo: %v\n", err)
			return exitRuntime
		}
		defer srv.Stop()
		cfg.ClickHouse.Addr = srv.Addr()
	}
	s := cfg.Sites[0]
	var a *app.App
	pages := demo.Handler(demo.Settings{
		WriteKey:    s.WriteKey,
		PopinAPIKey: s.PopinAPIKey,
		Events:      demo.ClickHouseEvents(func() *chdb.DB { return a.DB() }),
		Verify:      demoVerifier(cfg),
	})
	a, err := app.New(cfg, logger, app.Options{Mounts: map[string]http.Handler{"/demo/": pages}})
	if err != nil {
		fmt.Fprintf(stderr, "bridge demo: %v\n", err)
		return exitRuntime
	}
	base := "http://" + cfg.Listen
	fmt.Fprintf(stdout, `
bridge demo is starting.

  customer page with a simulated Popin widget  %[1]s/demo/
  admin UI (token below)                        %[1]s/admin/
  metrics                                       %[1]s/metrics
  ClickHouse (native protocol)                  %[2]s, database %[3]q

  write key %[4]q; admin token %[5]q
  press Ctrl-C to stop

`, base, cfg.ClickHouse.Addr, cfg.ClickHouse.Database, s.WriteKey, cfg.AdminToken)
	return runUntilSignal(a, logger, stderr, 0)
}

// reachable reports whether something accepts TCP connections at addr.
func reachable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// startLocalClickHouse runs Debian's clickhouse-server with its data under
// data_dir/clickhouse, installing the package first when run as root.
func startLocalClickHouse(cfg *config.Config, stdout io.Writer) (*chlocal.Server, error) {
	if _, err := chlocal.Binary(); err != nil {
		if os.Geteuid() != 0 {
			return nil, fmt.Errorf("no ClickHouse at %s and clickhouse-server is not installed; install it with:\n  sudo apt-get install clickhouse-server clickhouse-client\nor point clickhouse.addr at a running server", cfg.ClickHouse.Addr)
		}
		fmt.Fprintln(stdout, "installing clickhouse-server from Debian packages (apt-get)…")
		for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "--no-install-recommends", "clickhouse-server", "clickhouse-client"}} {
			cmd := exec.Command("apt-get", args...)
			cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
			cmd.Stdout, cmd.Stderr = stdout, stdout
			if err := cmd.Run(); err != nil {
				return nil, fmt.Errorf("apt-get %v: %w", args, err)
			}
		}
	}
	dir, err := filepath.Abs(filepath.Join(cfg.DataDir, "clickhouse"))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "starting a local ClickHouse in %s …\n", dir)
	return chlocal.Start(dir)
}
