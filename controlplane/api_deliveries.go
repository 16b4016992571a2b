package controlplane

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/httpjson"
	"github.com/popinbridge/bridge/internal/site"
)

// endpointFor returns the endpoint named in the path.
func (m *Manager) endpointFor(r *http.Request) (Endpoint, error) {
	st, err := m.ready()
	if err != nil {
		return Endpoint{}, err
	}
	e, ok := st.endpoint(r.PathValue("id"))
	if !ok {
		return Endpoint{}, notFound("endpoint", r.PathValue("id"))
	}
	return e, nil
}

func (m *Manager) engine() (Engine, error) {
	if m.set.Engine == nil {
		return nil, unavailable("the delivery engine")
	}
	return m.set.Engine, nil
}

func (m *Manager) history() (History, error) {
	if m.set.History == nil {
		return nil, unavailable("the delivery history (ClickHouse)")
	}
	return m.set.History, nil
}

func refuseDisabled(e Endpoint) error {
	if e.Status == endpoint.StatusDisabled {
		return conflict("endpoint_disabled", "endpoint %s is disabled (%s); re-enable it with PATCH {\"status\":\"active\"}", e.ID, e.DisabledReason)
	}
	return nil
}

var statusCodePattern = regexp.MustCompile(`^[1-5][0-9][0-9]$|^0$`)

// parseTime accepts RFC 3339 or a duration meaning "that long ago".
func (m *Manager) parseTime(field, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return m.now().Add(-d), nil
	}
	return time.Time{}, invalid(field, "%s: %q is neither an RFC 3339 time nor a duration like 24h", field, s)
}

func (m *Manager) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	e, err := m.endpointFor(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	dq := DeliveryQuery{EndpointID: e.ID, Status: q.Get("status"), EventName: q.Get("event"), Limit: 50}
	if s := dq.Status; s != "" && s != "ok" && s != "failed" && !statusCodePattern.MatchString(s) {
		return invalid("status", "status: %q is not ok, failed or a status code", s)
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return invalid("limit", "limit: %q is not a number from 1 to 500", s)
		}
		dq.Limit = n
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &dq.From}, {"to", &dq.To}} {
		if s := q.Get(f.name); s != "" {
			if *f.dst, err = m.parseTime(f.name, s); err != nil {
				return err
			}
		}
	}
	if !dq.From.IsZero() && !dq.To.IsZero() && !dq.From.Before(dq.To) {
		return invalid("to", "to must be after from")
	}
	dq.Cursor = q.Get("cursor")
	h, err := m.history()
	if err != nil {
		return err
	}
	ds, next, err := h.Deliveries(r.Context(), dq)
	if errors.Is(err, errBadCursor) {
		return invalid("cursor", "cursor: not a cursor returned by this API")
	}
	if err != nil {
		return err
	}
	for i := range ds {
		ds[i].RequestHeaders, ds[i].RequestBody, ds[i].ResponseBody = nil, "", ""
	}
	if ds == nil {
		ds = []Delivery{}
	}
	httpjson.WriteJSON(w, http.StatusOK, list[Delivery]{Data: ds, NextCursor: next})
	return nil
}

// deliveryDetail is one attempt in full plus every attempt of its delivery.
type deliveryDetail struct {
	Delivery
	Attempts []Delivery `json:"attempts"`
}

// attemptsOf returns every attempt of the delivery named in the path,
// oldest first, or a 404.
func (m *Manager) attemptsOf(r *http.Request) (string, []Delivery, error) {
	h, err := m.history()
	if err != nil {
		return "", nil, err
	}
	id := r.PathValue("id")
	all, err := h.Delivery(r.Context(), id)
	if errors.Is(err, ErrNotFound) {
		return id, nil, notFound("delivery", id)
	}
	return id, all, err
}

func (m *Manager) getDelivery(w http.ResponseWriter, r *http.Request) error {
	id, all, err := m.attemptsOf(r)
	if err != nil {
		return err
	}
	// ?attempt=N shows that attempt in full (the latest of that number: a
	// replay repeats numbers); default the latest attempt.
	pick := len(all) - 1
	if s := r.URL.Query().Get("attempt"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return invalid("attempt", "attempt: %q is not an attempt number (1, 2, …)", s)
		}
		pick = -1
		for i, a := range all { // oldest first
			if a.Attempt == n {
				pick = i
			}
		}
		if pick < 0 {
			return &apiError{http.StatusNotFound, "not_found", fmt.Sprintf("delivery %s has no attempt %d", id, n), "attempt"}
		}
	}
	d := deliveryDetail{Delivery: all[pick]}
	for _, a := range all {
		a.RequestHeaders, a.RequestBody, a.ResponseBody = nil, "", ""
		d.Attempts = append(d.Attempts, a)
	}
	httpjson.WriteJSON(w, http.StatusOK, d)
	return nil
}

func (m *Manager) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	id, all, err := m.attemptsOf(r)
	if err != nil {
		return err
	}
	last := all[len(all)-1]
	if last.Test {
		return conflict("test_delivery", "delivery %s was a test send; send a new test instead", id)
	}
	st, err := m.ready()
	if err != nil {
		return err
	}
	e, ok := st.endpoint(last.EndpointID)
	if !ok {
		return conflict("endpoint_gone", "endpoint %s of delivery %s no longer exists", last.EndpointID, id)
	}
	if err := refuseDisabled(e); err != nil {
		return err
	}
	eng, err := m.engine()
	if err != nil {
		return err
	}
	if err := eng.Retry(r.Context(), e, last); err != nil {
		return fmt.Errorf("retry %s: %w", id, err)
	}
	httpjson.WriteJSON(w, http.StatusAccepted, map[string]any{"delivery_id": id, "queued": 1})
	return nil
}

func (m *Manager) retryFailed(w http.ResponseWriter, r *http.Request) error {
	e, err := m.endpointFor(r)
	if err != nil {
		return err
	}
	s := r.URL.Query().Get("since")
	if s == "" {
		return invalid("since", "since: required (RFC 3339 time or a duration like 24h)")
	}
	since, err := m.parseTime("since", s)
	if err != nil {
		return err
	}
	if err := refuseDisabled(e); err != nil {
		return err
	}
	h, err := m.history()
	if err != nil {
		return err
	}
	eng, err := m.engine()
	if err != nil {
		return err
	}
	ds, err := h.FailedSince(r.Context(), e.ID, since, m.cfg.MaxReplayEvents+1)
	if err != nil {
		return err
	}
	truncated := len(ds) > m.cfg.MaxReplayEvents
	if truncated {
		ds = ds[:m.cfg.MaxReplayEvents]
	}
	n := 0
	for _, d := range ds {
		if err := eng.Retry(r.Context(), e, d); err != nil {
			return fmt.Errorf("retry %s after %d queued: %w", d.DeliveryID, n, err)
		}
		n++
	}
	httpjson.WriteJSON(w, http.StatusAccepted, map[string]any{"queued": n, "truncated": truncated})
	return nil
}

// replayRequest is the body of a replay.
type replayRequest struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func (m *Manager) replay(w http.ResponseWriter, r *http.Request) error {
	e, err := m.endpointFor(r)
	if err != nil {
		return err
	}
	var req replayRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	if req.From == "" {
		return invalid("from", "from: required (RFC 3339)")
	}
	from, err := m.parseTime("from", req.From)
	if err != nil {
		return err
	}
	to := m.now()
	if req.To != "" {
		if to, err = m.parseTime("to", req.To); err != nil {
			return err
		}
	}
	if !from.Before(to) {
		return invalid("to", "to must be after from")
	}
	if err := refuseDisabled(e); err != nil {
		return err
	}
	h, err := m.history()
	if err != nil {
		return err
	}
	eng, err := m.engine()
	if err != nil {
		return err
	}
	evs, more, err := h.Events(r.Context(), e.Site, from, to, m.cfg.MaxReplayEvents)
	if err != nil {
		return err
	}
	var sel []event.Event
	for _, ev := range evs {
		if e.Matches(ev.Name) {
			sel = append(sel, ev)
		}
	}
	if len(sel) > 0 {
		if err := eng.Replay(r.Context(), e, sel); err != nil {
			return fmt.Errorf("replay to %s: %w", e.ID, err)
		}
	}
	resp := map[string]any{"queued": len(sel), "truncated": more}
	if w := m.piiWarning(e.Site); w != "" {
		resp["warning"] = w
	}
	httpjson.WriteJSON(w, http.StatusAccepted, resp)
	return nil
}

// piiWarning explains that replayed payloads are what ClickHouse stored.
func (m *Manager) piiWarning(siteID string) string {
	st := m.store()
	rec, ok := st.site(siteID)
	if !ok {
		return ""
	}
	switch rec.PII {
	case site.PIIRaw, site.PIIEncrypt:
		return ""
	case site.PIIDrop:
		return "site " + siteID + " stores events with pii: drop, so replayed payloads lack personal fields (name, email, phone)"
	default:
		return "site " + siteID + " stores events with pii: hash, so replayed payloads carry SHA-256 hashes instead of personal fields (name, email, phone); use pii: encrypt for full-fidelity replays"
	}
}

func (m *Manager) endpointStats(w http.ResponseWriter, r *http.Request) error {
	e, err := m.endpointFor(r)
	if err != nil {
		return err
	}
	window := 24 * time.Hour
	if s := r.URL.Query().Get("window"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Minute || d > 90*24*time.Hour {
			return invalid("window", "window: %q is not a duration from 1m to 2160h", s)
		}
		window = d
	}
	h, err := m.history()
	if err != nil {
		return err
	}
	s, err := h.Stats(r.Context(), e.ID, window, m.now())
	if err != nil {
		return err
	}
	if m.set.Engine != nil {
		s.Flow = m.flowOf(e.ID)
	}
	httpjson.WriteJSON(w, http.StatusOK, s)
	return nil
}
