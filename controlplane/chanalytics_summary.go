package controlplane

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Summary implements Analytics. Every count is uniqExact over event_id (or
// sid, or visitor), so duplicate rows count once without FINAL.
func (a *ClickHouseAnalytics) Summary(ctx context.Context, q AnalyticsQuery) (Summary, error) {
	s := Summary{Events: []NameCount{}, Ratings: []RatingCount{}, Screens: []ScreenCount{},
		LeadsByUTM: []UTMCount{}, LeadsByPage: []PageCount{}}
	where, args := rangeWhere(q)
	from := " FROM " + a.events + " WHERE " + where
	top := " LIMIT " + strconv.Itoa(analyticsTop)

	byName := map[string]uint64{}
	err := a.each(ctx, "SELECT name, source, uniqExact(event_id)"+from+" GROUP BY name, source", args, func(r rowScanner) error {
		var (
			name, source string
			n            uint64
		)
		if err := r.Scan(&name, &source, &n); err != nil {
			return err
		}
		byName[name] += n
		if source == "popin_server" {
			switch name {
			case "popin_call_successful":
				s.Calls.Successful += n
			case "popin_call_missed":
				s.Calls.Missed += n
			case "popin_call_abandoned":
				s.Calls.Abandoned += n
			}
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	for name, n := range byName {
		s.Events = append(s.Events, NameCount{name, n})
	}
	sort.Slice(s.Events, func(i, j int) bool {
		x, y := s.Events[i], s.Events[j]
		return x.Events > y.Events || x.Events == y.Events && x.Name < y.Name
	})
	s.Permission.Given, s.Permission.Denied = byName["popin_permission_given"], byName["popin_permission_denied"]
	s.Permission.GivenRate = ratio(s.Permission.Given, s.Permission.Given+s.Permission.Denied)

	err = a.each(ctx, "SELECT uniqExact(sid), uniqExactIf(sid, name = 'popin_expert_busy' OR name = 'popin_call_missed')"+
		from+" AND source = 'browser' AND sid != ''", args, func(r rowScanner) error {
		return r.Scan(&s.ExpertsBusy.Sessions, &s.ExpertsBusy.BusySessions)
	})
	if err != nil {
		return s, err
	}
	s.ExpertsBusy.BusyRate = ratio(s.ExpertsBusy.BusySessions, s.ExpertsBusy.Sessions)

	if s.LeadsPerDay, s.PermissionPerDay, err = a.perDay(ctx, q, from, args); err != nil {
		return s, err
	}

	err = a.each(ctx, "SELECT toInt64OrZero(replaceRegexpAll(visitParamExtractRaw(data, 'rating'), '[\" ]', '')) AS r, uniqExact(event_id)"+
		from+" AND name = 'popin_rating_done' AND visitParamHas(data, 'rating') GROUP BY r ORDER BY r"+top, args, func(r rowScanner) error {
		var c RatingCount
		err := r.Scan(&c.Rating, &c.Count)
		s.Ratings = append(s.Ratings, c)
		return err
	})
	if err != nil {
		return s, err
	}

	err = a.each(ctx, "SELECT visitParamExtractString(data, 'screen') AS scr, "+
		"uniqExactIf(if(uid != '', uid, aid), uid != '' OR aid != '') AS vis, uniqExact(event_id)"+
		from+" AND name = 'popin_screen_change' GROUP BY scr ORDER BY vis DESC, scr"+top, args, func(r rowScanner) error {
		var c ScreenCount
		err := r.Scan(&c.Screen, &c.Visitors, &c.Views)
		s.Screens = append(s.Screens, c)
		return err
	})
	if err != nil {
		return s, err
	}

	err = a.each(ctx, "SELECT toString(utm_source) AS us, toString(utm_medium) AS um, toString(utm_campaign) AS uc, uniqExact(event_id) AS n"+
		from+" AND name = 'popin_captured' GROUP BY us, um, uc ORDER BY n DESC, us, um, uc"+top, args, func(r rowScanner) error {
		var c UTMCount
		err := r.Scan(&c.Source, &c.Medium, &c.Campaign, &c.Leads)
		s.LeadsByUTM = append(s.LeadsByUTM, c)
		return err
	})
	if err != nil {
		return s, err
	}

	// Not cutQueryStringAndFragment: on 18.16 it keeps a fragment when there is no query.
	err = a.each(ctx, "SELECT replaceRegexpOne(url, '[?#].*$', '') AS pg, uniqExact(event_id) AS n"+
		from+" AND name = 'popin_captured' GROUP BY pg ORDER BY n DESC, pg"+top, args, func(r rowScanner) error {
		var c PageCount
		err := r.Scan(&c.Page, &c.Leads)
		s.LeadsByPage = append(s.LeadsByPage, c)
		return err
	})
	return s, err
}

// perDay counts leads (popin_captured) and permission answers per day in
// q.Location, with zeros for every day of the range without them.
func (a *ClickHouseAnalytics) perDay(ctx context.Context, q AnalyticsQuery, from string, args []any) ([]DayCount, []DayPermission, error) {
	got := map[string][3]uint64{}
	err := a.each(ctx, "SELECT toString(toDate(event_time, ?)) AS d, uniqExactIf(event_id, name = 'popin_captured'), "+
		"uniqExactIf(event_id, name = 'popin_permission_given'), uniqExactIf(event_id, name = 'popin_permission_denied')"+
		from+" AND name IN ('popin_captured', 'popin_permission_given', 'popin_permission_denied') GROUP BY d",
		append([]any{q.Location.String()}, args...), func(r rowScanner) error {
			var (
				d string
				n [3]uint64
			)
			err := r.Scan(&d, &n[0], &n[1], &n[2])
			got[d] = n
			return err
		})
	if err != nil {
		return nil, nil, err
	}
	leads, perm := []DayCount{}, []DayPermission{}
	first := q.From.In(q.Location)
	last := q.To.Add(-time.Second).In(q.Location).Format("2006-01-02")
	day := time.Date(first.Year(), first.Month(), first.Day(), 12, 0, 0, 0, q.Location)
	for i := 0; i < 400; i++ { // a range is at most 366 days
		d := day.AddDate(0, 0, i).Format("2006-01-02")
		n := got[d]
		leads = append(leads, DayCount{d, n[0]})
		perm = append(perm, DayPermission{Day: d, Given: n[1], Denied: n[2], GivenRate: ratio(n[1], n[1]+n[2])})
		if d >= last {
			break
		}
	}
	return leads, perm, nil
}

// each runs query and hands every row to scan.
func (a *ClickHouseAnalytics) each(ctx context.Context, query string, args []any, scan func(rowScanner) error) error {
	rows, err := a.conn.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("query analytics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("scan analytics: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query analytics: %w", err)
	}
	return nil
}
