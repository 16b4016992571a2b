package deliverylog

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/popinbridge/bridge/internal/chdb"
)

// NewClickHouseWriter writes rows into the deliveries table created by
// internal/chdb's migrations. table is the qualified name, e.g.
// db.Table("deliveries"). A connection the server closed is replaced
// before the insert starts (chdb.PrepareBatch); a failure after that leaves
// the batch to the Buffer's retry, which the table makes idempotent.
func NewClickHouseWriter(conn driver.Conn, table string) Writer {
	return WriterFunc(func(ctx context.Context, rows []Record) error {
		b, err := chdb.PrepareBatch(ctx, conn, "INSERT INTO "+table+" ("+insertColumns+")")
		if err != nil {
			return fmt.Errorf("deliveries: prepare: %w", err)
		}
		for i := range rows {
			r := &rows[i]
			next := r.NextAttemptAt
			if next.IsZero() {
				next = time.Unix(0, 0)
			}
			if err := b.Append(r.DeliveryID, r.EventID, r.EndpointID, r.SiteID, r.EventName, r.WebhookID,
				uint32(max(r.Attempt, 0)), uint16(max(r.StatusCode, 0)), b2u(r.OK), uint32(min(max(r.LatencyMS, 0), 1<<32-1)), r.Error,
				r.AttemptedAt.UTC(), next.UTC(), b2u(r.Test), r.RequestURL, headersJSON(r.RequestHeaders),
				r.RequestBody, r.ResponseBody, r.State, r.MatchKeys, r.Trigger, attemptedNS(r.AttemptedAt)); err != nil {
				_ = b.Abort()
				return fmt.Errorf("deliveries: append: %w", err)
			}
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("deliveries: insert: %w", err)
		}
		return nil
	})
}

// insertColumns are the columns each row fills.
const insertColumns = chdb.DeliveriesColumns + ", " + chdb.DeliveriesMatchKeysColumn + ", " + chdb.DeliveriesTriggerColumn +
	", " + chdb.DeliveriesAttemptedNSColumn

// attemptedNS is the attempted_ns of an attempt made at t: its full time,
// which with delivery_id, attempt and trigger identifies the row (two
// attempts are never made at one instant; a batch written again holds the
// same values, so its rows collapse with the first copy's).
func attemptedNS(t time.Time) uint64 {
	if t.Before(time.Unix(0, 0)) {
		return 0
	}
	return uint64(t.UnixNano())
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
