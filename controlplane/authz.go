package controlplane

import (
	"context"
	"fmt"
	"net/http"
)

// A request is made either with the admin token (everything) or with a
// site-scoped read token (api_tokens.go), which may only make the GETs of
// readRoutes, each limited to its site. Anything else a read token asks
// for is 403 with code "forbidden" and a message saying why.

type scopeKey struct{}

// withReadScope marks the request as made with a read token of site.
func withReadScope(r *http.Request, t readToken) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), scopeKey{}, t))
}

// readScope returns the read token of the request; ok is false for the
// admin token.
func readScope(r *http.Request) (readToken, bool) {
	t, ok := r.Context().Value(scopeKey{}).(readToken)
	return t, ok
}

// readCheck allows a read-token request on one route, or says why not.
type readCheck func(m *Manager, r *http.Request, t readToken) error

// readRoutes are the operations a read token may call ("METHOD pattern" of
// apiRoutes). Lists are filtered to the token's site by their handlers.
var readRoutes = map[string]readCheck{
	"GET /api/v1/sites":                     anySite,
	"GET /api/v1/sites/{id}":                pathSite,
	"GET /api/v1/endpoints":                 querySite,
	"GET /api/v1/endpoints/{id}":            endpointSite,
	"GET /api/v1/endpoints/{id}/deliveries": endpointSite,
	"GET /api/v1/endpoints/{id}/stats":      endpointSite,
	"GET /api/v1/deliveries/{id}":           deliverySite,
	"GET /api/v1/analytics/funnel":          querySite,
	"GET /api/v1/analytics/summary":         querySite,
	"GET /api/v1/openapi.json":              anySite,
}

func forbidden(field, format string, a ...any) error {
	return &apiError{http.StatusForbidden, "forbidden", fmt.Sprintf(format, a...), field}
}

func otherSite(t readToken, field, site string) error {
	return forbidden(field, "read token %s is limited to site %s, not %s", t.ID, t.Site, site)
}

// allowRead applies the read-token rules to one request of pattern.
func (m *Manager) allowRead(r *http.Request, pattern string, t readToken) error {
	check, ok := readRoutes[pattern]
	switch {
	case !ok && r.Method != http.MethodGet:
		return forbidden("", "read token %s cannot change anything (%s %s); use the admin token", t.ID, r.Method, r.URL.Path)
	case !ok:
		return forbidden("", "read token %s may only read site %s's analytics, deliveries, site and endpoints; %s needs the admin token",
			t.ID, t.Site, r.URL.Path)
	}
	return check(m, r, t)
}

func anySite(*Manager, *http.Request, readToken) error { return nil }

func pathSite(_ *Manager, r *http.Request, t readToken) error {
	if id := r.PathValue("id"); id != t.Site {
		return otherSite(t, "id", id)
	}
	return nil
}

// querySite allows no site parameter (the handler then filters, or
// requires one) or the token's site.
func querySite(_ *Manager, r *http.Request, t readToken) error {
	if s := r.URL.Query().Get("site"); s != "" && s != t.Site {
		return otherSite(t, "site", s)
	}
	return nil
}

func endpointSite(m *Manager, r *http.Request, t readToken) error {
	e, err := m.endpointFor(r)
	if err != nil {
		return err
	}
	if e.Site != t.Site {
		return forbidden("id", "read token %s is limited to site %s; endpoint %s belongs to another site", t.ID, t.Site, e.ID)
	}
	return nil
}

func deliverySite(m *Manager, r *http.Request, t readToken) error {
	id, all, err := m.attemptsOf(r)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return notFound("delivery", id)
	}
	if all[len(all)-1].SiteID != t.Site {
		return forbidden("id", "read token %s is limited to site %s; delivery %s belongs to another site", t.ID, t.Site, id)
	}
	return nil
}
