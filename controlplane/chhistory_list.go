package controlplane

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/popinbridge/bridge/internal/chdb"
)

// deliveryCursor is the position after the last row of a page: the row's
// values of the list's order (deliveryOrder).
type deliveryCursor struct {
	at      int64
	id      string
	ns      uint64
	attempt int
	trigger string
}

// deliveryOrder is the order of the deliveries list: newest first, each
// attempt once (the values of one row are unique: see internal/chdb's
// migration 8), so a cursor of them resumes exactly after its row.
const deliveryOrder = "attempted_at DESC, delivery_id DESC, " + chdb.DeliveriesAttemptedNSColumn + " DESC, attempt DESC, trigger DESC"

// String encodes the cursor as "2|at|ns|attempt|trigger|id" (the id last:
// it may hold "|"; a trigger never does).
func (c deliveryCursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("2|%d|%d|%d|%s|%s", c.at, c.ns, c.attempt, c.trigger, c.id)))
}

// parseDeliveryCursor also reads the "at|attempt|id" cursors of earlier
// releases, as the position after that attempt's row written before
// migration 8 (attempted_ns its whole second, trigger "").
func parseDeliveryCursor(s string) (deliveryCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return deliveryCursor{}, errBadCursor
	}
	text, v2 := strings.CutPrefix(string(b), "2|")
	n := 3
	if v2 {
		n = 5
	}
	parts := strings.SplitN(text, "|", n)
	if len(parts) != n {
		return deliveryCursor{}, errBadCursor
	}
	at, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || at < 0 {
		return deliveryCursor{}, errBadCursor
	}
	if !v2 {
		attempt, err := strconv.Atoi(parts[1])
		if err != nil {
			return deliveryCursor{}, errBadCursor
		}
		return deliveryCursor{at: at, ns: uint64(at) * 1e9, attempt: attempt, id: parts[2]}, nil
	}
	ns, err1 := strconv.ParseUint(parts[1], 10, 64)
	attempt, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil {
		return deliveryCursor{}, errBadCursor
	}
	return deliveryCursor{at: at, ns: ns, attempt: attempt, trigger: parts[3], id: parts[4]}, nil
}

// Deliveries implements History.
func (h *ClickHouseHistory) Deliveries(ctx context.Context, q DeliveryQuery) ([]Delivery, string, error) {
	where := []string{"endpoint_id = ?"}
	args := []any{q.EndpointID}
	switch q.Status {
	case "":
	case "ok":
		where = append(where, "ok = 1")
	case "failed":
		where = append(where, "ok = 0")
	default:
		n, err := strconv.Atoi(q.Status)
		if err != nil {
			return nil, "", fmt.Errorf("status %q: %w", q.Status, err)
		}
		where, args = append(where, "status_code = ?"), append(args, n)
	}
	if q.EventName != "" {
		where, args = append(where, "event_name = ?"), append(args, q.EventName)
	}
	if !q.From.IsZero() {
		where, args = append(where, "attempted_at >= toDateTime(?)"), append(args, q.From.Unix())
	}
	if !q.To.IsZero() {
		where, args = append(where, "attempted_at < toDateTime(?)"), append(args, q.To.Unix())
	}
	if q.Cursor != "" {
		c, err := parseDeliveryCursor(q.Cursor)
		if err != nil {
			return nil, "", err
		}
		// The first condition lets the primary key skip newer rows.
		where = append(where, "attempted_at <= toDateTime(?)",
			"(attempted_at, delivery_id, "+chdb.DeliveriesAttemptedNSColumn+", attempt, trigger) < (toDateTime(?), ?, ?, ?, ?)")
		args = append(args, c.at, c.at, c.id, c.ns, c.attempt, c.trigger)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	query := "SELECT " + deliveryColumns + ", " + chdb.DeliveriesAttemptedNSColumn + " FROM " + h.deliveries + " FINAL WHERE " +
		strings.Join(where, " AND ") + " ORDER BY " + deliveryOrder + " LIMIT " + strconv.Itoa(limit+1)
	rows, err := h.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("query deliveries: %w", err)
	}
	defer rows.Close()
	var (
		out []Delivery
		ns  []uint64
	)
	for rows.Next() {
		var n uint64
		d, err := scanDelivery(rows, false, &n)
		if err != nil {
			return nil, "", err
		}
		out, ns = append(out, d), append(ns, n)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("query deliveries: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = deliveryCursor{at: last.AttemptedAt.Unix(), id: last.DeliveryID, ns: ns[limit-1], attempt: last.Attempt, trigger: last.Trigger}.String()
	}
	return out, next, nil
}
