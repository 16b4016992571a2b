package chdb

import (
	"context"
	"errors"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// connMaxLifetime retires pooled connections well before servers and
// proxies close idle ones (ClickHouse's idle_connection_timeout is 1h, the
// driver's default lifetime too, so they would race).
const connMaxLifetime = 5 * time.Minute

// PrepareBatch starts an insert (query is "INSERT INTO t (cols)") on a
// pooled connection. The driver checks an idle connection's socket before
// handing it out, but the server may close it just after; when the insert
// cannot start for such a reason (not a server exception, ctx still live)
// it is started once more, on a connection the pool checks or dials anew.
// Nothing has been inserted at that point, so starting again is safe.
func PrepareBatch(ctx context.Context, conn driver.Conn, query string) (driver.Batch, error) {
	b, err := conn.PrepareBatch(ctx, query)
	if err == nil || ctx.Err() != nil {
		return b, err
	}
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		return nil, err
	}
	return conn.PrepareBatch(ctx, query)
}
