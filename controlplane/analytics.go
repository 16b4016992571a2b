package controlplane

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/popinbridge/bridge/internal/httpjson"
)

// Analytics answers the per-site analytics of /api/v1/analytics/…
// (ClickHouseAnalytics). Every count reads each stored event once, however
// often it was inserted.
type Analytics interface {
	// Funnel counts, for each step, the visitors who reached it after every
	// earlier step (by event time) within the range.
	Funnel(ctx context.Context, q AnalyticsQuery, steps []string) (Funnel, error)
	// Summary aggregates the site's events in the range.
	Summary(ctx context.Context, q AnalyticsQuery) (Summary, error)
}

// AnalyticsQuery selects a site's events with event time in [From, To).
// Location is the time zone of per-day buckets (never nil).
type AnalyticsQuery struct {
	SiteID   string
	From, To time.Time
	Location *time.Location
}

// Funnel is the answer of GET /analytics/funnel.
type Funnel struct {
	Site  string       `json:"site"`
	From  time.Time    `json:"from"`
	To    time.Time    `json:"to"`
	TZ    string       `json:"tz"`
	Steps []FunnelStep `json:"steps"`
}

// FunnelStep is one step of a funnel. Visitors never grows from one step
// to the next.
type FunnelStep struct {
	Name     string `json:"name"`
	Visitors uint64 `json:"visitors"`
}

// DefaultFunnelSteps is the widget funnel.
var DefaultFunnelSteps = []string{"nudge_show", "nudge_open", "popin_widget_open", "popin_permission_given",
	"popin_captured", "popin_call_end"}

// Bounds of the analytics parameters.
const (
	analyticsMaxRange  = 366 * 24 * time.Hour
	analyticsDefRange  = 7 * 24 * time.Hour
	analyticsMaxSteps  = 20
	analyticsNameBytes = 100
)

var (
	stepNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)
	tzPattern       = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$`)
)

func (m *Manager) analytics() (Analytics, error) {
	if m.set.Analytics == nil {
		return nil, unavailable("analytics (ClickHouse)")
	}
	return m.set.Analytics, nil
}

// analyticsQuery reads site, from, to and tz; the site must exist.
func (m *Manager) analyticsQuery(r *http.Request) (AnalyticsQuery, error) {
	q := r.URL.Query()
	var aq AnalyticsQuery
	aq.SiteID = q.Get("site")
	if aq.SiteID == "" {
		return aq, invalid("site", "site: required (a site id)")
	}
	st, err := m.ready()
	if err != nil {
		return aq, err
	}
	if _, ok := st.site(aq.SiteID); !ok {
		return aq, invalid("site", "site: %q does not exist", aq.SiteID)
	}
	aq.Location = time.UTC
	if s := q.Get("tz"); s != "" {
		loc, err := time.LoadLocation(s)
		if err != nil || s == "Local" || !tzPattern.MatchString(s) {
			return aq, invalid("tz", "tz: %q is not an IANA time zone name such as Europe/Paris", s)
		}
		aq.Location = loc
	}
	parse := func(field string) (time.Time, error) {
		s := q.Get(field)
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return t, invalid(field, "%s: %q is not an RFC 3339 time such as 2026-01-31T00:00:00Z", field, s)
		}
		return t.UTC(), nil
	}
	if aq.From, err = parse("from"); err != nil {
		return aq, err
	}
	if aq.To, err = parse("to"); err != nil {
		return aq, err
	}
	switch {
	case aq.To.IsZero() && aq.From.IsZero():
		aq.To = m.now().UTC().Truncate(time.Second)
		aq.From = aq.To.Add(-analyticsDefRange)
	case aq.To.IsZero():
		aq.To = aq.From.Add(analyticsDefRange)
	case aq.From.IsZero():
		aq.From = aq.To.Add(-analyticsDefRange)
	}
	if !aq.To.After(aq.From) {
		return aq, invalid("to", "to: %s is not after from (%s)", aq.To.Format(time.RFC3339), aq.From.Format(time.RFC3339))
	}
	if aq.To.Sub(aq.From) > analyticsMaxRange {
		return aq, invalid("to", "to: the range from %s is longer than 366 days", aq.From.Format(time.RFC3339))
	}
	if aq.From.Unix() < 0 || aq.To.Unix() > 1<<32-1 {
		return aq, invalid("from", "from: the range must lie between 1970 and 2106")
	}
	return aq, nil
}

// parseSteps reads the funnel's steps: distinct event names, at most 20.
func parseSteps(r *http.Request) ([]string, error) {
	s, ok := r.URL.Query()["steps"]
	if !ok {
		return DefaultFunnelSteps, nil
	}
	raw := strings.Join(s, ",")
	var steps []string
	seen := map[string]bool{}
	for _, n := range strings.Split(raw, ",") {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
			return nil, invalid("steps", "steps: an empty name in %q (comma-separated event names)", raw)
		case len(n) > analyticsNameBytes || !stepNamePattern.MatchString(n):
			return nil, invalid("steps", "steps: %q is not an event name", n)
		case seen[n]:
			return nil, invalid("steps", "steps: %q is repeated", n)
		}
		seen[n] = true
		steps = append(steps, n)
	}
	if len(steps) > analyticsMaxSteps {
		return nil, invalid("steps", "steps: %d names, at most %d", len(steps), analyticsMaxSteps)
	}
	return steps, nil
}

func (m *Manager) analyticsFunnel(w http.ResponseWriter, r *http.Request) error {
	aq, err := m.analyticsQuery(r)
	if err != nil {
		return err
	}
	steps, err := parseSteps(r)
	if err != nil {
		return err
	}
	a, err := m.analytics()
	if err != nil {
		return err
	}
	f, err := a.Funnel(r.Context(), aq, steps)
	if err != nil {
		return err
	}
	f.Site, f.From, f.To, f.TZ = aq.SiteID, aq.From, aq.To, aq.Location.String()
	httpjson.WriteJSON(w, http.StatusOK, f)
	return nil
}
