package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
)

func runMigrate(args []string, stdout, stderr io.Writer) int {
	cfg, code := loadConfig(flag.NewFlagSet("migrate", flag.ContinueOnError), args, stderr)
	if cfg == nil {
		return code
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := chdb.Open(ctx, cfg.ClickHouse, chdb.Settings{Logger: newLogger(cfg, stderr)})
	if err != nil {
		fmt.Fprintf(stderr, "bridge: %v\n", err)
		return exitRuntime
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		fmt.Fprintf(stderr, "bridge: migrate: %v\n", err)
		return exitRuntime
	}
	fmt.Fprintf(stdout, "schema up to date in database %q on ClickHouse %s\n", db.Database(), db.ServerVersion())
	return exitOK
}
