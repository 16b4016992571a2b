package chretention

import (
	"slices"
	"time"

	"github.com/popinbridge/bridge/internal/site"
)

// class is one kind of data with its own retention.
type class int

const (
	events class = iota
	deliveries
	deliveryBodies
)

// group is sites sharing one retention: either the listed sites, or (rest)
// every site not listed in another group of the class.
type group struct {
	days  int
	sites []string
	rest  bool
}

// plan groups the sites by their retention of class c.
func plan(cfg Config, sites []site.Site, c class) []group {
	def := [...]int{cfg.EventsDays, cfg.DeliveriesDays, cfg.DeliveryBodiesDays}[c]
	byDays := map[int][]string{}
	for _, s := range sites {
		r := s.Retention
		if v := [...]*int{r.EventsDays, r.DeliveriesDays, r.DeliveryBodiesDays}[c]; v != nil {
			byDays[*v] = append(byDays[*v], s.ID)
		}
	}
	out := []group{{days: def, rest: true}}
	for d, ids := range byDays {
		slices.Sort(ids)
		out = append(out, group{days: d, sites: ids})
	}
	slices.SortFunc(out[1:], func(a, b group) int { return a.days - b.days })
	return out
}

// overridden is every site some group lists.
func overridden(gs []group) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.sites...)
	}
	slices.Sort(out)
	return out
}

// longest is the retention every site allows for the class: the largest
// of the groups', or 0 when one keeps forever.
func longest(gs []group) int {
	m := 0
	for _, g := range gs {
		if g.days == 0 {
			return 0
		}
		m = max(m, g.days)
	}
	return m
}

// cutoff is the first day kept with days of retention at now.
func cutoff(now time.Time, days int) time.Time {
	d := now.UTC().Truncate(24 * time.Hour)
	return d.AddDate(0, 0, -days)
}
