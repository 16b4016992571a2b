package controlplane

import (
	"net/http"
	"time"

	"github.com/popinbridge/bridge/internal/httpjson"
)

// Summary is the answer of GET /analytics/summary. Lists are never null.
type Summary struct {
	Site string    `json:"site"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	TZ   string    `json:"tz"`
	// Events counts events by name, most first.
	Events []NameCount `json:"events"`
	// LeadsPerDay counts popin_captured events per day in TZ, for every day
	// the range touches, oldest first.
	LeadsPerDay []DayCount `json:"leads_per_day"`
	// PermissionPerDay counts permission answers per day, like LeadsPerDay.
	PermissionPerDay []DayPermission `json:"permission_per_day"`
	Permission       Permission      `json:"permission"`
	ExpertsBusy      ExpertsBusy     `json:"experts_busy"`
	Calls            Calls           `json:"calls"`
	// Ratings counts popin_rating_done by data.rating, ascending.
	Ratings []RatingCount `json:"ratings"`
	// Screens counts popin_screen_change by data.screen, most visitors first.
	Screens []ScreenCount `json:"screens"`
	// LeadsByUTM and LeadsByPage count popin_captured events, most first,
	// at most analyticsTop rows each.
	LeadsByUTM  []UTMCount  `json:"leads_by_utm"`
	LeadsByPage []PageCount `json:"leads_by_page"`
}

// analyticsTop bounds the grouped lists of a summary.
const analyticsTop = 100

// NameCount is a number of events of one name.
type NameCount struct {
	Name   string `json:"name"`
	Events uint64 `json:"events"`
}

// DayCount is a number of leads on one day ("2006-01-02" in the query's zone).
type DayCount struct {
	Day   string `json:"day"`
	Leads uint64 `json:"leads"`
}

// DayPermission is the permission answers of one day; GivenRate is nil
// without answers.
type DayPermission struct {
	Day       string   `json:"day"`
	Given     uint64   `json:"given"`
	Denied    uint64   `json:"denied"`
	GivenRate *float64 `json:"given_rate"`
}

// Permission counts camera/microphone answers; GivenRate is
// given/(given+denied), nil when there were none.
type Permission struct {
	Given     uint64   `json:"given"`
	Denied    uint64   `json:"denied"`
	GivenRate *float64 `json:"given_rate"`
}

// ExpertsBusy counts browser sessions, and those that met "all experts
// busy" (popin_expert_busy, or popin_call_missed from the browser); BusyRate
// is nil without sessions.
type ExpertsBusy struct {
	Sessions     uint64   `json:"sessions"`
	BusySessions uint64   `json:"busy_sessions"`
	BusyRate     *float64 `json:"busy_rate"`
}

// Calls counts Popin's server call webhooks by outcome.
type Calls struct {
	Successful uint64 `json:"successful"`
	Missed     uint64 `json:"missed"`
	Abandoned  uint64 `json:"abandoned"`
}

// RatingCount is a number of ratings of one value.
type RatingCount struct {
	Rating int64  `json:"rating"`
	Count  uint64 `json:"count"`
}

// ScreenCount is the visitors and views of one widget screen.
type ScreenCount struct {
	Screen   string `json:"screen"`
	Visitors uint64 `json:"visitors"`
	Views    uint64 `json:"views"`
}

// UTMCount is a number of leads of one campaign.
type UTMCount struct {
	Source   string `json:"source"`
	Medium   string `json:"medium"`
	Campaign string `json:"campaign"`
	Leads    uint64 `json:"leads"`
}

// PageCount is a number of leads on one page (URL without query and fragment).
type PageCount struct {
	Page  string `json:"page"`
	Leads uint64 `json:"leads"`
}

// ratio is n/d, nil when d is 0.
func ratio(n, d uint64) *float64 {
	if d == 0 {
		return nil
	}
	r := float64(n) / float64(d)
	return &r
}

func (m *Manager) analyticsSummary(w http.ResponseWriter, r *http.Request) error {
	aq, err := m.analyticsQuery(r)
	if err != nil {
		return err
	}
	a, err := m.analytics()
	if err != nil {
		return err
	}
	s, err := a.Summary(r.Context(), aq)
	if err != nil {
		return err
	}
	s.Site, s.From, s.To, s.TZ = aq.SiteID, aq.From, aq.To, aq.Location.String()
	httpjson.WriteJSON(w, http.StatusOK, s)
	return nil
}
