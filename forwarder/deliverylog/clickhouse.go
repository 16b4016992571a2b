package deliverylog

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// NewClickHouseWriter writes rows into the deliveries table created by
// internal/chdb's migrations. table is the qualified name, e.g.
// db.Table("deliveries").
func NewClickHouseWriter(conn driver.Conn, table string) Writer {
	return WriterFunc(func(ctx context.Context, rows []Record) error {
		b, err := conn.PrepareBatch(ctx, "INSERT INTO "+table+` (delivery_id, event_id, endpoint_id, site_id,
			event_name, webhook_id, attempt, status_code, ok, latency_ms, error, attempted_at, next_attempt_at,
			test, request_url, request_headers, request_body, response_body, state)`)
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
				r.RequestBody, r.ResponseBody, r.State); err != nil {
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

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
