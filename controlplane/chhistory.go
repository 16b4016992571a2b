package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/event"
)

var errBadCursor = errors.New("bad cursor")

// ClickHouseHistory reads the deliveries and events tables (internal/chdb
// migrations). Reads use FINAL so re-inserted rows show once. Safe for
// concurrent use.
type ClickHouseHistory struct {
	conn       driver.Conn
	deliveries string
	events     string
}

var _ History = (*ClickHouseHistory)(nil)

// NewClickHouseHistory reads through db.
func NewClickHouseHistory(db *chdb.DB) *ClickHouseHistory {
	return &ClickHouseHistory{conn: db.Conn(), deliveries: db.Table("deliveries"), events: db.Table("events")}
}

const deliveryColumns = "delivery_id, event_id, endpoint_id, site_id, event_name, webhook_id, attempt, status_code, ok, " +
	"latency_ms, error, attempted_at, next_attempt_at, test, state, " + chdb.DeliveriesMatchKeysColumn + ", " + chdb.DeliveriesTriggerColumn

const deliveryDetailColumns = deliveryColumns + ", request_url, request_headers, request_body, response_body"

type rowScanner interface{ Scan(dest ...any) error }

// scanDelivery reads deliveryColumns (deliveryDetailColumns when detail)
// followed by extra.
func scanDelivery(rows rowScanner, detail bool, extra ...any) (Delivery, error) {
	var (
		d                Delivery
		attempt, latency uint32
		code             uint16
		ok, test         uint8
		next             time.Time
		reqHeaders       string
	)
	dest := []any{&d.DeliveryID, &d.EventID, &d.EndpointID, &d.SiteID, &d.EventName, &d.WebhookID, &attempt, &code, &ok,
		&latency, &d.Error, &d.AttemptedAt, &next, &test, &d.State, &d.MatchKeys, &d.Trigger}
	if detail {
		dest = append(dest, &d.RequestURL, &reqHeaders, &d.RequestBody, &d.ResponseBody)
	}
	if err := rows.Scan(append(dest, extra...)...); err != nil {
		return d, fmt.Errorf("scan deliveries: %w", err)
	}
	d.Attempt, d.StatusCode, d.OK, d.LatencyMS, d.Test = int(attempt), int(code), ok == 1, int64(latency), test == 1
	d.AttemptedAt = d.AttemptedAt.UTC()
	if next.Unix() > 0 {
		n := next.UTC()
		d.NextAttemptAt = &n
	}
	if reqHeaders != "" {
		d.RequestHeaders = parseHeaders(reqHeaders)
	}
	return d, nil
}

// parseHeaders reads request_headers: a JSON object of strings or of string
// arrays, else "Name: value" lines.
func parseHeaders(s string) map[string]string {
	out := map[string]string{}
	var flat map[string]string
	if json.Unmarshal([]byte(s), &flat) == nil {
		return flat
	}
	var multi map[string][]string
	if json.Unmarshal([]byte(s), &multi) == nil {
		for k, v := range multi {
			out[k] = strings.Join(v, ", ")
		}
		return out
	}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// Delivery implements History: the attempts by number, those of one
// number (a replay starts again at 1) in time.
func (h *ClickHouseHistory) Delivery(ctx context.Context, id string) ([]Delivery, error) {
	return h.attempts(ctx, id, "attempt, "+chdb.DeliveriesAttemptedNSColumn+", trigger")
}

// attempts returns the attempts of delivery id in order (an ORDER BY list).
func (h *ClickHouseHistory) attempts(ctx context.Context, id, order string) ([]Delivery, error) {
	rows, err := h.conn.Query(ctx, "SELECT "+deliveryDetailColumns+" FROM "+h.deliveries+
		" FINAL WHERE delivery_id = ? ORDER BY "+order+" LIMIT 1000", id)
	if err != nil {
		return nil, fmt.Errorf("query delivery: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows, true)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query delivery: %w", err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return out, nil
}

// latestLast orders a delivery's attempts in time, the latest last
// (attempted_ns orders attempts within one second; rows written before
// internal/chdb's migration 8 hold whole seconds, ordered by number).
const latestLast = chdb.DeliveriesAttemptedNSColumn + ", attempt, trigger"

// FailedSince implements History: deliveries with an attempt since `since`
// that never succeeded and are not waiting for an automatic retry (judged
// by their latest attempt in time).
func (h *ClickHouseHistory) FailedSince(ctx context.Context, endpointID string, since time.Time, limit int) ([]Delivery, error) {
	q := `SELECT delivery_id FROM ` + h.deliveries + ` FINAL
WHERE endpoint_id = ? AND test = 0 AND state != 'suppressed'
GROUP BY delivery_id
HAVING max(ok) = 0 AND max(attempted_at) >= toDateTime(?) AND argMax(state, (` + chdb.DeliveriesAttemptedNSColumn + `, attempt)) != 'retrying'
ORDER BY max(attempted_at) LIMIT ` + strconv.Itoa(limit)
	rows, err := h.conn.Query(ctx, q, endpointID, since.Unix())
	if err != nil {
		return nil, fmt.Errorf("query failed deliveries: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan failed deliveries: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query failed deliveries: %w", err)
	}
	var out []Delivery
	for _, id := range ids {
		all, err := h.attempts(ctx, id, latestLast)
		if err != nil {
			return nil, err
		}
		out = append(out, all[len(all)-1])
	}
	return out, nil
}

// Stats implements History (test sends excluded).
func (h *ClickHouseHistory) Stats(ctx context.Context, endpointID string, window time.Duration, now time.Time) (Stats, error) {
	from := now.Add(-window).Unix()
	s := Stats{Window: window.String(), Counts: map[string]uint64{}, ByStatusCode: map[string]uint64{}, Series: []StatsBucket{}}
	var (
		p50, p95        float64
		lastOK, lastBad time.Time
	)
	err := h.conn.QueryRow(ctx, `SELECT count(), countIf(ok = 1), toFloat64(quantile(0.5)(latency_ms)), toFloat64(quantile(0.95)(latency_ms)),
  maxIf(attempted_at, ok = 1), maxIf(attempted_at, ok = 0)
FROM `+h.deliveries+` FINAL WHERE endpoint_id = ? AND test = 0 AND state != 'suppressed' AND attempted_at >= toDateTime(?)`,
		endpointID, from).Scan(&s.Attempts, &s.Succeeded, &p50, &p95, &lastOK, &lastBad)
	if err != nil {
		return s, fmt.Errorf("query stats: %w", err)
	}
	s.Failed = s.Attempts - s.Succeeded
	if s.Attempts > 0 {
		s.SuccessRate = float64(s.Succeeded) / float64(s.Attempts)
		s.P50MS, s.P95MS = finite(p50), finite(p95)
	}
	if lastOK.Unix() > 0 {
		t := lastOK.UTC()
		s.LastSuccessAt = &t
	}
	if lastBad.Unix() > 0 {
		t := lastBad.UTC()
		s.LastFailureAt = &t
	}
	rows, err := h.conn.Query(ctx, `SELECT status_code, ok, count() FROM `+h.deliveries+
		` FINAL WHERE endpoint_id = ? AND test = 0 AND state != 'suppressed' AND attempted_at >= toDateTime(?) GROUP BY status_code, ok`, endpointID, from)
	if err != nil {
		return s, fmt.Errorf("query stats by status: %w", err)
	}
	for rows.Next() {
		var (
			code uint16
			ok   uint8
			n    uint64
		)
		if err := rows.Scan(&code, &ok, &n); err != nil {
			rows.Close()
			return s, fmt.Errorf("scan stats: %w", err)
		}
		s.ByStatusCode[strconv.Itoa(int(code))] += n
		s.Counts[statusClass(int(code), ok == 1)] += n
	}
	rows.Close()
	return s, h.series(ctx, &s, endpointID, window, now)
}

// series fills 24 buckets covering the window, for the health chart.
func (h *ClickHouseHistory) series(ctx context.Context, s *Stats, endpointID string, window time.Duration, now time.Time) error {
	step := int64(window.Seconds()) / 24
	if step < 1 {
		step = 1
	}
	end := now.Unix()/step*step + step
	start := end - 24*step
	rows, err := h.conn.Query(ctx, `SELECT intDiv(toUInt32(attempted_at), ?) * ? AS b, countIf(ok = 1), countIf(ok = 0),
  toFloat64(quantile(0.95)(latency_ms))
FROM `+h.deliveries+` FINAL WHERE endpoint_id = ? AND test = 0 AND state != 'suppressed' AND attempted_at >= toDateTime(?) GROUP BY b ORDER BY b`,
		step, step, endpointID, start)
	if err != nil {
		return fmt.Errorf("query stats series: %w", err)
	}
	defer rows.Close()
	got := map[int64]StatsBucket{}
	for rows.Next() {
		var (
			b        uint64
			ok, fail uint64
			p95      float64
		)
		if err := rows.Scan(&b, &ok, &fail, &p95); err != nil {
			return fmt.Errorf("scan stats series: %w", err)
		}
		got[int64(b)] = StatsBucket{Succeeded: ok, Failed: fail, P95MS: finite(p95)}
	}
	for t := start; t < end; t += step {
		b := got[t]
		b.Start = time.Unix(t, 0).UTC()
		s.Series = append(s.Series, b)
	}
	return rows.Err()
}

func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return math.Round(f*10) / 10
}

func statusClass(code int, ok bool) string {
	switch {
	case code == 0:
		return "error"
	case code < 300:
		return "2xx"
	case code < 400:
		return "3xx"
	case code < 500:
		return "4xx"
	default:
		return "5xx"
	}
}

// Events implements History.
func (h *ClickHouseHistory) Events(ctx context.Context, siteID string, from, to time.Time, limit int) ([]event.Event, bool, error) {
	rows, err := h.conn.Query(ctx, `SELECT event_id, site_id, name, source, known, uid, aid, sid, seq, client_ts, received_at,
  url, referrer, title, fbp, fbc, country, user_agent, data
FROM `+h.events+` FINAL WHERE site_id = ? AND received_at >= toDateTime(?) AND received_at < toDateTime(?)
ORDER BY received_at, event_id LIMIT `+strconv.Itoa(limit+1), siteID, from.Unix(), to.Unix())
	if err != nil {
		return nil, false, fmt.Errorf("query events: %w", err)
	}
	defer rows.Close()
	var out []event.Event
	for rows.Next() {
		var (
			e      event.Event
			source string
			known  uint8
			data   string
		)
		if err := rows.Scan(&e.ID, &e.SiteID, &e.Name, &source, &known, &e.UID, &e.AnonID, &e.SessionID, &e.Seq,
			&e.ClientTime, &e.ReceivedAt, &e.Context.URL, &e.Context.Referrer, &e.Context.Title, &e.Context.FBP,
			&e.Context.FBC, &e.Context.Country, &e.Context.UserAgent, &data); err != nil {
			return nil, false, fmt.Errorf("scan events: %w", err)
		}
		e.Source, e.Known, e.Data = event.Source(source), known == 1, json.RawMessage(data)
		if !json.Valid(e.Data) {
			e.Data = json.RawMessage("{}")
		}
		e.ClientTime, e.ReceivedAt = e.ClientTime.UTC(), e.ReceivedAt.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("query events: %w", err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}
