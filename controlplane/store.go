package controlplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/controlplane/internal/seal"
	"github.com/popinbridge/bridge/internal/site"
)

// KV key prefixes. Ids are restricted by idPattern, so keys are valid KV keys.
const (
	sitePrefix     = "site."
	endpointPrefix = "endpoint."
	tokenPrefix    = "readtoken."
)

var (
	errConflict = errors.New("conflict")
	errBusy     = errors.New("too many concurrent changes, try again")
)

// siteRecord is a site with management metadata.
type siteRecord struct {
	site.Site
	Origin    string    `json:"origin,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// storedSite is a site as written to the KV bucket: the Popin API key sealed.
type storedSite struct {
	siteRecord
	Sealed     string `json:"sealed,omitempty"`
	ConfigHash string `json:"config_hash,omitempty"`
}

// storedEndpoint is an endpoint as written to the KV bucket: credentials
// sealed under the master key, bound to the KV key.
type storedEndpoint struct {
	Endpoint
	Sealed     string `json:"sealed,omitempty"`
	ConfigHash string `json:"config_hash,omitempty"`
}

type siteEntry struct {
	rec  siteRecord
	hash string
	rev  uint64
}

type endpointEntry struct {
	ep   Endpoint
	hash string
	rev  uint64
}

// store keeps sites and endpoints in a JetStream KV bucket and mirrors the
// bucket in memory. Every write goes through compare-and-set on the key's
// revision; a watcher applies writes made by other nodes. After any change
// onChange is called (outside the lock) with a consistent snapshot.
type store struct {
	kv       jetstream.KeyValue
	box      *seal.Box
	log      *slog.Logger
	onChange func(sites []siteRecord, endpoints []Endpoint)

	mu        sync.Mutex
	sites     map[string]siteEntry
	endpoints map[string]endpointEntry
	tokens    map[string]tokenEntry // read tokens by id (store_tokens.go)
	applyMu   sync.Mutex            // serialises onChange calls
	live      atomic.Bool
}

func newStore(kv jetstream.KeyValue, box *seal.Box, log *slog.Logger, onChange func([]siteRecord, []Endpoint)) *store {
	return &store{kv: kv, box: box, log: log, onChange: onChange,
		sites: map[string]siteEntry{}, endpoints: map[string]endpointEntry{}, tokens: map[string]tokenEntry{}}
}

// load starts a watcher living until wctx ends and mirrors the bucket's
// current content, waiting until ctx ends. onChange is not called until
// goLive.
func (s *store) load(ctx, wctx context.Context) (jetstream.KeyWatcher, error) {
	w, err := s.kv.WatchAll(wctx)
	if err != nil {
		return nil, fmt.Errorf("watch bucket: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			w.Stop()
			return nil, ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("bucket watcher closed")
			}
			if e == nil { // end of initial values
				return w, nil
			}
			s.applyEntry(e)
		}
	}
}

// goLive makes changes reach onChange, starting with the current state.
func (s *store) goLive() {
	s.live.Store(true)
	s.changed()
}

// follow applies changes made by any node until ctx ends.
func (s *store) follow(ctx context.Context, w jetstream.KeyWatcher) error {
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				s.log.Error("controlplane: bucket watcher closed; changes made on other nodes no longer apply here")
				return errors.New("bucket watcher closed")
			}
			if e != nil && s.applyEntry(e) {
				s.changed()
			}
		}
	}
}

// applyEntry updates the mirror from a KV entry; it reports whether
// anything changed. Entries older than what the mirror holds are ignored
// (this node's own writes are mirrored at once).
func (s *store) applyEntry(e jetstream.KeyValueEntry) bool {
	key, rev := e.Key(), e.Revision()
	deleted := e.Operation() != jetstream.KeyValuePut
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case strings.HasPrefix(key, sitePrefix):
		id := key[len(sitePrefix):]
		if cur, ok := s.sites[id]; ok && cur.rev >= rev {
			return false
		}
		if deleted {
			delete(s.sites, id)
			return true
		}
		se, err := s.decodeSite(key, e.Value())
		if err != nil {
			s.log.Error("controlplane: cannot read site from bucket; ignored", "key", key, "err", err)
			return false
		}
		se.rev = rev
		s.sites[id] = se
	case strings.HasPrefix(key, endpointPrefix):
		id := key[len(endpointPrefix):]
		if cur, ok := s.endpoints[id]; ok && cur.rev >= rev {
			return false
		}
		if deleted {
			delete(s.endpoints, id)
			return true
		}
		ee, err := s.decodeEndpoint(key, e.Value())
		if err != nil {
			s.log.Error("controlplane: cannot read endpoint from bucket; ignored", "key", key, "err", err)
			return false
		}
		ee.rev = rev
		s.endpoints[id] = ee
	case strings.HasPrefix(key, tokenPrefix):
		s.applyTokenLocked(key[len(tokenPrefix):], rev, deleted, e.Value())
		return false // tokens are not part of the sites and endpoints handed on
	default:
		return false
	}
	return true
}

// changed hands a snapshot to onChange.
func (s *store) changed() {
	if s.onChange == nil || !s.live.Load() {
		return
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	s.onChange(s.listSites(), s.listEndpoints())
}

// listSites returns every site sorted by id.
func (s *store) listSites() []siteRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]siteRecord, 0, len(s.sites))
	for _, e := range s.sites {
		r := e.rec
		r.Site = r.Site.Clone()
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b siteRecord) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// listEndpoints returns copies of every endpoint sorted by id.
func (s *store) listEndpoints() []Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Endpoint, 0, len(s.endpoints))
	for _, e := range s.endpoints {
		out = append(out, e.ep.Clone())
	}
	slices.SortFunc(out, func(a, b Endpoint) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (s *store) site(id string) (siteRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.sites[id]
	e.rec.Site = e.rec.Site.Clone()
	return e.rec, ok
}

func (s *store) endpoint(id string) (Endpoint, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.endpoints[id]
	return e.ep.Clone(), ok
}

func (s *store) siteHasEndpoints(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.endpoints {
		if e.ep.Site == id {
			return true
		}
	}
	return false
}
