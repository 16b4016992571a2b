package demo

import (
	"context"
	"errors"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
)

// ClickHouseEvents lists the newest events from the `events` table.
type ClickHouseEvents func() *chdb.DB

var errNoDB = errors.New("clickhouse not connected yet")

// RecentEvents implements EventLister.
func (f ClickHouseEvents) RecentEvents(ctx context.Context, limit int) ([]map[string]any, error) {
	db := f()
	if db == nil {
		return nil, errNoDB
	}
	rows, err := db.Conn().Query(ctx, "SELECT event_id, name, source, received_at, data FROM "+db.Table("events")+
		" ORDER BY received_at DESC LIMIT ?", limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		var id, name, source, data string
		var at time.Time
		if err := rows.Scan(&id, &name, &source, &at, &data); err != nil {
			return nil, err
		}
		out = append(out, map[string]any{"event_id": id, "name": name, "source": source, "received_at": at.Format(time.TimeOnly), "data": data})
	}
	return out, rows.Err()
}
