package site

import "sync/atomic"

// Static is a Registry over an in-memory list of sites that can be replaced
// atomically, e.g. when the management API changes a site.
type Static struct {
	v atomic.Pointer[index]
}

type index struct {
	byKey map[string]*Site
	byID  map[string]*Site
}

var _ Registry = (*Static)(nil)

// NewStatic returns a registry holding copies of sites.
func NewStatic(sites []Site) *Static {
	s := &Static{}
	s.Set(sites)
	return s
}

// Set replaces all sites.
func (s *Static) Set(sites []Site) {
	ix := &index{byKey: map[string]*Site{}, byID: map[string]*Site{}}
	for i := range sites {
		c := sites[i]
		c.ApplyDefaults()
		ix.byKey[c.WriteKey] = &c
		ix.byID[c.ID] = &c
	}
	s.v.Store(ix)
}

// All returns every site, in no particular order.
func (s *Static) All() []Site {
	ix := s.v.Load()
	out := make([]Site, 0, len(ix.byID))
	for _, v := range ix.byID {
		out = append(out, *v)
	}
	return out
}

// ByWriteKey implements Registry.
func (s *Static) ByWriteKey(key string) (*Site, bool) {
	v, ok := s.v.Load().byKey[key]
	return v, ok
}

// ByID implements Registry.
func (s *Static) ByID(id string) (*Site, bool) {
	v, ok := s.v.Load().byID[id]
	return v, ok
}
