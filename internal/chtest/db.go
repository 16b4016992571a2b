package chtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
)

var dbSeq atomic.Int64

// DatabaseName is a database name unique to this test binary and call:
// <prefix>_<pid>_<n>.
func DatabaseName(prefix string) string {
	return fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), dbSeq.Add(1))
}

// MigratedDB opens cfg (retrying the dial, which has timed out on a loaded
// 2-core machine), migrates it and closes it when the test ends. A nil
// Logger in set logs nothing.
func MigratedDB(tb testing.TB, cfg chdb.Config, set chdb.Settings) *chdb.DB {
	tb.Helper()
	if set.Logger == nil {
		set.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := chdb.Open(ctx, cfg, set)
	for err != nil && ctx.Err() == nil {
		time.Sleep(500 * time.Millisecond)
		db, err = chdb.Open(ctx, cfg, set)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}
