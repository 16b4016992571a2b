package erasure

import (
	"context"
	"fmt"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/retry"
)

// WaitingRebuild is Job.Waiting while a table rebuild holds the job back.
const WaitingRebuild = "a ClickHouse migration is rebuilding a table (copying its rows); " +
	"the job continues once the copy is finished (bridge migrate finishes one that stopped)"

// mutated are the tables whose rows a job changes.
var mutated = []string{"events", "deliveries"}

// rebuildPending reports whether a rebuild of a table the job changes is
// unfinished (chdb.DB.RebuildPending).
func rebuildPending(ctx context.Context, db *chdb.DB) (bool, error) {
	for _, t := range mutated {
		pending, err := db.RebuildPending(ctx, t)
		if err != nil {
			return false, fmt.Errorf("look for a table rebuild: %w", err)
		}
		if pending {
			return true, nil
		}
	}
	return false, nil
}

// awaitRebuilds returns once no rebuild of a table the job changes is
// unfinished. A rebuild (migration 8 of deliveries) keeps the table's rows
// under another name and copies them back month by month: a mutation made
// meanwhile reaches only the rows copied so far, and the later months would
// bring the person's rows back unchanged. So the job makes no mutation
// until the copy is over, however long that takes; note tells the job's
// record why it waits, and that it no longer does.
func (s *Service) awaitRebuilds(ctx context.Context, db *chdb.DB, note func(string)) error {
	wait, noted := 50*time.Millisecond, false
	for {
		pending, err := rebuildPending(ctx, db)
		if err != nil {
			return err
		}
		if !pending {
			if noted {
				note("")
			}
			return nil
		}
		if !noted {
			note(WaitingRebuild)
			noted = true
		}
		if !retry.Sleep(ctx, wait) {
			return ctx.Err()
		}
		wait = min(wait*2, 5*time.Second)
	}
}
