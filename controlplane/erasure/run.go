package erasure

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/retry"
)

// chunk is the most event ids named in one mutation.
const chunk = 5000

// work is a job to carry out, with its identifier in clear (memory only).
type work struct {
	id, kind, value string
}

// erase carries out one job and returns what it removed. note records
// why a running job waits ("" once it no longer does).
func (s *Service) erase(ctx context.Context, db *chdb.DB, j Job, w work, note func(string)) (Counts, error) {
	var c Counts
	region := ""
	if st, ok := s.set.Sites.ByID(j.Site); ok {
		region = st.DefaultPhoneRegion
	}
	norm := normalise(w.kind, w.value, region)
	// Suppressed first, so that events arriving while the job runs are
	// already stored without personal data and not forwarded.
	if err := s.suppress(ctx, j.Site, w.kind, norm); err != nil {
		return c, err
	}
	f, err := s.find(ctx, db, j.Site, w.kind, w.value, norm)
	if err != nil {
		return c, err
	}
	if w.kind == KindUID {
		f.uids[w.value] = true
	}
	for uid := range f.uids {
		if err := s.suppress(ctx, j.Site, KindUID, uid); err != nil {
			return c, err
		}
	}
	ids := keys(f.ids)
	slices.Sort(ids)
	// No mutation while a table rebuild is unfinished: it would miss the
	// rows the rebuild copies later (see awaitRebuilds). A rebuild begun
	// while the mutations ran may have copied rows they had not reached
	// yet: then they are made again once it is over (they are idempotent).
	for {
		if err := s.awaitRebuilds(ctx, db, note); err != nil {
			return c, err
		}
		if c, err = s.mutate(ctx, db, j.Site, ids); err != nil {
			return c, err
		}
		if pending, err := rebuildPending(ctx, db); err != nil {
			return c, err
		} else if !pending {
			break
		}
	}
	if s.set.Consent != nil {
		for uid := range f.uids {
			if err := s.set.Consent.Forget(ctx, j.Site, uid); err != nil {
				return c, fmt.Errorf("forget consent: %w", err)
			}
			c.UIDs++
		}
	}
	return c, nil
}

// mutate deletes the events ids of siteID and empties the bodies of their
// deliveries, and waits until the mutations are done.
func (s *Service) mutate(ctx context.Context, db *chdb.DB, siteID string, ids []string) (Counts, error) {
	var c Counts
	for lo := 0; lo < len(ids); lo += chunk {
		in := quoteList(ids[lo:min(lo+chunk, len(ids))])
		var n uint64
		if err := db.Conn().QueryRow(ctx, "SELECT count() FROM "+db.Table("deliveries")+" WHERE event_id IN ("+in+")").Scan(&n); err != nil {
			return c, fmt.Errorf("count deliveries: %w", err)
		}
		c.Deliveries += n
		if err := db.Alter(ctx, "events", fmt.Sprintf("DELETE WHERE site_id = %s AND event_id IN (%s)", quote(siteID), in)); err != nil {
			return c, fmt.Errorf("delete events: %w", err)
		}
		if n > 0 {
			if err := db.Alter(ctx, "deliveries", "UPDATE request_body = '', response_body = '' WHERE event_id IN ("+in+")"); err != nil {
				return c, fmt.Errorf("empty delivery bodies: %w", err)
			}
		}
	}
	c.Events = uint64(len(ids))
	return c, s.waitMutations(ctx, db)
}

// waitMutations polls system.mutations until no mutation of events or
// deliveries is left unfinished (ours, and any queued before them). On a
// cluster that is on every replica of every shard (chdb.DB.EveryHost); a
// host that does not answer fails the job.
func (s *Service) waitMutations(ctx context.Context, db *chdb.DB) error {
	query := func(mutations string) string {
		return fmt.Sprintf("SELECT count() FROM %s WHERE database = %s AND table IN (%s, %s) AND is_done = 0",
			mutations, quote(db.Database()), quote(db.StorageTable("events")), quote(db.StorageTable("deliveries")))
	}
	wait := 50 * time.Millisecond
	for {
		var n uint64 // summed over the hosts when each is read on its own
		err := db.EveryHost(ctx, "mutations", query, func(rows driver.Rows) error {
			var c uint64
			if err := rows.Scan(&c); err != nil {
				return err
			}
			n += c
			return nil
		})
		if err != nil {
			return fmt.Errorf("read system.mutations: %w", err)
		}
		if n == 0 {
			return nil
		}
		s.pendingChecks.Add(1)
		if !retry.Sleep(ctx, wait) {
			return ctx.Err()
		}
		wait = min(wait*2, 2*time.Second)
	}
}

// suppress puts an identifier on the site's suppression list.
func (s *Service) suppress(ctx context.Context, siteID, kind, norm string) error {
	if s.set.Suppress == nil {
		return nil
	}
	if err := s.set.Suppress.Add(ctx, siteID, kind, norm); err != nil {
		return fmt.Errorf("suppression list: %w", err)
	}
	return nil
}
