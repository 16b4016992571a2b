package controlplane

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/popinbridge/bridge/internal/chdb"
)

// ClickHouseAnalytics computes Analytics over the events table (internal/chdb
// migrations) with queries that run on ClickHouse 18.16 and current releases.
// A visitor is uid, else aid (as in docs/queries.md); events with neither
// count in no visitor figure. Event time is event_time (UTC). Safe for
// concurrent use.
type ClickHouseAnalytics struct {
	conn   driver.Conn
	events string
}

var _ Analytics = (*ClickHouseAnalytics)(nil)

// NewClickHouseAnalytics reads through db.
func NewClickHouseAnalytics(db *chdb.DB) *ClickHouseAnalytics {
	return &ClickHouseAnalytics{conn: db.Conn(), events: db.Table("events")}
}

// rangeWhere selects the site's events in [From, To); event_date (the UTC
// date of event_time, in the sort key) narrows the parts read.
func rangeWhere(q AnalyticsQuery) (string, []any) {
	return "site_id = ? AND event_date >= toDate(?) AND event_date <= toDate(?) AND " +
			"event_time >= toDateTime(?) AND event_time < toDateTime(?)",
		[]any{q.SiteID, q.From.UTC().Format("2006-01-02"), q.To.UTC().Format("2006-01-02"), q.From.Unix(), q.To.Unix()}
}

// placeholders returns "?, ?, …" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// funnelTick orders events within one second by step: windowFunnel sees
// time as (seconds since From) × funnelTick + step number, so a step
// reached in the same second as the previous one still counts in order
// (on 18.16 equal timestamps keep the read order, which follows the sort
// key, not the steps). It fits UInt32 for 366 days and up to 31 steps.
const funnelTick = 32

// Funnel implements Analytics with windowFunnel over the whole range.
// Duplicate rows of an event cannot raise a visitor's level, so no FINAL
// is needed.
func (a *ClickHouseAnalytics) Funnel(ctx context.Context, q AnalyticsQuery, steps []string) (Funnel, error) {
	out := Funnel{Steps: make([]FunnelStep, len(steps))}
	for i, s := range steps {
		out.Steps[i].Name = s
	}
	if len(steps) == 0 || len(steps) >= funnelTick {
		return out, fmt.Errorf("funnel: %d steps, want 1 to %d", len(steps), funnelTick-1)
	}
	where, args := rangeWhere(q)
	conds := make([]string, len(steps))
	var condArgs []any
	for i, s := range steps {
		conds[i] = "name = ?"
		condArgs = append(condArgs, s)
	}
	window := (q.To.Unix()-q.From.Unix())*funnelTick + funnelTick
	query := `SELECT lvl, count() FROM (
  SELECT if(uid != '', uid, aid) AS v,
    windowFunnel(` + strconv.FormatInt(window, 10) + `)(toUInt32((toUInt32(event_time) - ?) * ` + strconv.Itoa(funnelTick) +
		` + indexOf([` + placeholders(len(steps)) + `], name)), ` + strings.Join(conds, ", ") + `) AS lvl
  FROM ` + a.events + ` WHERE ` + where + ` AND name IN (` + placeholders(len(steps)) + `) AND (uid != '' OR aid != '')
  GROUP BY v
) GROUP BY lvl`
	all := []any{q.From.Unix()}
	for _, s := range steps {
		all = append(all, s)
	}
	all = append(all, condArgs...)
	all = append(all, args...)
	for _, s := range steps {
		all = append(all, s)
	}
	rows, err := a.conn.Query(ctx, query, all...)
	if err != nil {
		return out, fmt.Errorf("query funnel: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			lvl uint8
			n   uint64
		)
		if err := rows.Scan(&lvl, &n); err != nil {
			return out, fmt.Errorf("scan funnel: %w", err)
		}
		for i := 0; i < int(lvl) && i < len(out.Steps); i++ {
			out.Steps[i].Visitors += n
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("query funnel: %w", err)
	}
	return out, nil
}
