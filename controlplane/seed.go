package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/popinbridge/bridge/controlplane/internal/seal"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/site"
)

// Origins of records.
const (
	originConfig = "config"
	originAPI    = "api"
)

// checkSeed validates declared sites and endpoints, naming each problem by
// its place in the config file.
func (m *Manager) checkSeed(ctx context.Context, sites []site.Site, endpoints []Endpoint) error {
	var errs []error
	ids := map[string]bool{}
	for i, s := range sites {
		s.ApplyDefaults()
		if err := checkSite(&s); err != nil {
			errs = append(errs, fmt.Errorf("sites[%d]: %w", i, err))
		}
		ids[s.ID] = true
	}
	for i, e := range endpoints {
		for _, p := range endpoint.Problems(e.Validate(endpoint.Checks{Guard: m.guard, Declaration: true})) {
			errs = append(errs, fmt.Errorf("endpoints[%d].%w", i, p))
		}
		if e.Site != "" && !ids[e.Site] {
			if _, ok := m.siteKnown(e.Site); !ok {
				errs = append(errs, fmt.Errorf("endpoints[%d].site: %q is not a declared site", i, e.Site))
			}
		}
	}
	return errors.Join(errs...)
}

func (m *Manager) siteKnown(id string) (siteRecord, bool) {
	if m.st == nil {
		return siteRecord{}, false
	}
	return m.st.site(id)
}

func (m *Manager) digest(v any) string {
	b, _ := json.Marshal(v)
	return seal.Digest(m.set.MasterKey, b)
}

// seed upserts declarations whose digest changed. Caller holds m.mu.
func (m *Manager) seed(ctx context.Context, sites []site.Site, endpoints []Endpoint) error {
	now := m.now().UTC()
	for _, s := range sites {
		s.ApplyDefaults()
		s.Origins = slices.Clone(s.Origins)
		h := m.digest(s)
		cur, ok := m.st.site(s.ID)
		if ok && m.st.siteHash(s.ID) == h {
			continue
		}
		rec := siteRecord{Site: s, Origin: originConfig, CreatedAt: now, UpdatedAt: now}
		var err error
		if !ok {
			err = m.st.createSite(ctx, rec, h)
		} else {
			rec.CreatedAt = cur.CreatedAt
			_, err = m.st.updateSite(ctx, s.ID, func(r *siteRecord, hash *string) error {
				*r, *hash = rec, h
				return nil
			})
		}
		if err != nil {
			return fmt.Errorf("controlplane: seed site %s: %w", s.ID, err)
		}
		m.log.Info("controlplane: site from config applied", "site", s.ID)
	}
	for _, e := range endpoints {
		decl := e.Clone()
		h := m.digest(decl)
		_, ok := m.st.endpoint(e.ID)
		if ok && m.st.endpointHash(e.ID) == h {
			continue
		}
		ep := decl.Clone()
		ep.Origin, ep.CreatedAt, ep.UpdatedAt = originConfig, now, now
		ep.PreviousSecrets = nil
		var err error
		if !ok {
			// A declared status applies when the endpoint is created; later
			// the status is the lifecycle's and the API's.
			if prepare(&ep) {
				m.log.Warn("controlplane: endpoint from config has no secret or token; generated one (rotate it through the API to see it)", "endpoint", ep.ID)
			}
			ep.NoteOrdering(nil, now.Add(endpoint.OrderingDelay))
			err = m.st.createEndpoint(ctx, ep, h)
		} else {
			_, err = m.st.updateEndpoint(ctx, e.ID, func(c *Endpoint, hash *string) error {
				next := ep.Clone()
				next.CreatedAt = c.CreatedAt
				next.Status, next.DisabledReason, next.DisabledAt = c.Status, c.DisabledReason, c.DisabledAt
				next.FailingSince, next.FailingNotified = c.FailingSince, c.FailingNotified
				if next.Secret == "" && next.Auth == c.Auth {
					next.Secret, next.PreviousSecrets = c.Secret, c.PreviousSecrets
				}
				if next.Token == "" && next.Auth == c.Auth {
					next.Token = c.Token
				}
				prepare(&next)
				next.NoteOrdering(c, m.now().UTC().Add(endpoint.OrderingDelay))
				*c, *hash = next, h
				return nil
			})
		}
		if err != nil {
			return fmt.Errorf("controlplane: seed endpoint %s: %w", e.ID, err)
		}
		m.log.Info("controlplane: endpoint from config applied", "endpoint", e.ID)
	}
	return nil
}
