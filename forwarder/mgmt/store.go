package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/popinbridge/bridge/collector/site"
	"github.com/popinbridge/bridge/forwarder/mgmt/internal/seal"
)

// KV key prefixes. Ids are restricted by idPattern, so keys are valid KV keys.
const (
	sitePrefix     = "site."
	endpointPrefix = "endpoint."
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
	applyMu   sync.Mutex // serialises onChange calls
	live      atomic.Bool
}

func newStore(kv jetstream.KeyValue, box *seal.Box, log *slog.Logger, onChange func([]siteRecord, []Endpoint)) *store {
	return &store{kv: kv, box: box, log: log, onChange: onChange,
		sites: map[string]siteEntry{}, endpoints: map[string]endpointEntry{}}
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
				s.log.Error("mgmt: bucket watcher closed; changes made on other nodes no longer apply here")
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
			s.log.Error("mgmt: cannot read site from bucket; ignored", "key", key, "err", err)
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
			s.log.Error("mgmt: cannot read endpoint from bucket; ignored", "key", key, "err", err)
			return false
		}
		ee.rev = rev
		s.endpoints[id] = ee
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

func (s *store) decodeSite(key string, raw []byte) (siteEntry, error) {
	var st storedSite
	if err := json.Unmarshal(raw, &st); err != nil {
		return siteEntry{}, err
	}
	if st.Sealed != "" {
		pt, err := s.box.Open(st.Sealed, []byte(key))
		if err != nil {
			return siteEntry{}, err
		}
		st.PopinAPIKey = string(pt)
	}
	return siteEntry{rec: st.siteRecord, hash: st.ConfigHash}, nil
}

func (s *store) encodeSite(rec siteRecord, hash string) []byte {
	st := storedSite{siteRecord: rec, ConfigHash: hash}
	if rec.PopinAPIKey != "" {
		st.Sealed = s.box.Seal([]byte(rec.PopinAPIKey), []byte(sitePrefix+rec.ID))
		st.PopinAPIKey = ""
	}
	b, _ := json.Marshal(st)
	return b
}

func (s *store) decodeEndpoint(key string, raw []byte) (endpointEntry, error) {
	var st storedEndpoint
	if err := json.Unmarshal(raw, &st); err != nil {
		return endpointEntry{}, err
	}
	ep := st.Endpoint
	ep.takeCredentials() // ignore any plaintext that should not be there
	if st.Sealed != "" {
		pt, err := s.box.Open(st.Sealed, []byte(key))
		if err != nil {
			return endpointEntry{}, err
		}
		var c credentials
		if err := json.Unmarshal(pt, &c); err != nil {
			return endpointEntry{}, err
		}
		ep.putCredentials(c)
	}
	return endpointEntry{ep: ep, hash: st.ConfigHash}, nil
}

func (s *store) encodeEndpoint(ep Endpoint, hash string) []byte {
	ep = ep.clone()
	c := ep.takeCredentials()
	st := storedEndpoint{Endpoint: ep, ConfigHash: hash}
	if c.Secret != "" || c.Token != "" || c.AccessToken != "" || len(c.PreviousSecrets) > 0 {
		pt, _ := json.Marshal(c)
		st.Sealed = s.box.Seal(pt, []byte(endpointPrefix+ep.ID))
	}
	b, _ := json.Marshal(st)
	return b
}

// listSites returns every site sorted by id.
func (s *store) listSites() []siteRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]siteRecord, 0, len(s.sites))
	for _, e := range s.sites {
		r := e.rec
		r.Origins = slices.Clone(r.Origins)
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
		out = append(out, e.ep.clone())
	}
	slices.SortFunc(out, func(a, b Endpoint) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (s *store) site(id string) (siteRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.sites[id]
	e.rec.Origins = slices.Clone(e.rec.Origins)
	return e.rec, ok
}

func (s *store) endpoint(id string) (Endpoint, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.endpoints[id]
	return e.ep.clone(), ok
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

// put writes value under key with compare-and-set: rev 0 creates (errConflict
// if the key exists), otherwise the key must still be at rev (errConflict if
// not). It mirrors the write and reports the change.
func (s *store) put(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	var (
		n   uint64
		err error
	)
	if rev == 0 {
		n, err = s.kv.Create(ctx, key, value)
	} else {
		n, err = s.kv.Update(ctx, key, value, rev)
	}
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return 0, fmt.Errorf("%s: %w", key, errConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", key, err)
	}
	return n, nil
}

// createSite stores a new site; errConflict if the id exists.
func (s *store) createSite(ctx context.Context, rec siteRecord, hash string) error {
	rev, err := s.put(ctx, sitePrefix+rec.ID, s.encodeSite(rec, hash), 0)
	if err != nil {
		return err
	}
	s.mirrorSite(rec, hash, rev)
	return nil
}

// updateSite applies mutate to the current site with compare-and-set,
// re-reading and retrying when another writer got there first.
func (s *store) updateSite(ctx context.Context, id string, mutate func(*siteRecord, *string) error) (siteRecord, error) {
	for range 8 {
		s.mu.Lock()
		cur, ok := s.sites[id]
		s.mu.Unlock()
		if !ok {
			return siteRecord{}, ErrNotFound
		}
		rec, hash := cur.rec, cur.hash
		rec.Origins = slices.Clone(rec.Origins)
		if err := mutate(&rec, &hash); err != nil {
			return siteRecord{}, err
		}
		rev, err := s.put(ctx, sitePrefix+id, s.encodeSite(rec, hash), cur.rev)
		if errors.Is(err, errConflict) {
			if err := s.refresh(ctx, sitePrefix+id); err != nil {
				return siteRecord{}, err
			}
			continue
		}
		if err != nil {
			return siteRecord{}, err
		}
		s.mirrorSite(rec, hash, rev)
		return rec, nil
	}
	return siteRecord{}, errBusy
}

func (s *store) mirrorSite(rec siteRecord, hash string, rev uint64) {
	s.mu.Lock()
	if cur, ok := s.sites[rec.ID]; !ok || cur.rev < rev {
		s.sites[rec.ID] = siteEntry{rec: rec, hash: hash, rev: rev}
	}
	s.mu.Unlock()
	s.changed()
}

func (s *store) createEndpoint(ctx context.Context, ep Endpoint, hash string) error {
	rev, err := s.put(ctx, endpointPrefix+ep.ID, s.encodeEndpoint(ep, hash), 0)
	if err != nil {
		return err
	}
	s.mirrorEndpoint(ep, hash, rev)
	return nil
}

// updateEndpoint applies mutate to the current endpoint with compare-and-set,
// re-reading and retrying when another writer got there first. mutate may
// return errUnchanged to skip the write.
func (s *store) updateEndpoint(ctx context.Context, id string, mutate func(*Endpoint, *string) error) (Endpoint, error) {
	for range 8 {
		s.mu.Lock()
		cur, ok := s.endpoints[id]
		s.mu.Unlock()
		if !ok {
			return Endpoint{}, ErrNotFound
		}
		ep, hash := cur.ep.clone(), cur.hash
		if err := mutate(&ep, &hash); errors.Is(err, errUnchanged) {
			return ep, nil
		} else if err != nil {
			return Endpoint{}, err
		}
		rev, err := s.put(ctx, endpointPrefix+id, s.encodeEndpoint(ep, hash), cur.rev)
		if errors.Is(err, errConflict) {
			if err := s.refresh(ctx, endpointPrefix+id); err != nil {
				return Endpoint{}, err
			}
			continue
		}
		if err != nil {
			return Endpoint{}, err
		}
		s.mirrorEndpoint(ep, hash, rev)
		return ep, nil
	}
	return Endpoint{}, errBusy
}

var errUnchanged = errors.New("unchanged")

func (s *store) mirrorEndpoint(ep Endpoint, hash string, rev uint64) {
	s.mu.Lock()
	if cur, ok := s.endpoints[ep.ID]; !ok || cur.rev < rev {
		s.endpoints[ep.ID] = endpointEntry{ep: ep.clone(), hash: hash, rev: rev}
	}
	s.mu.Unlock()
	s.changed()
}

// refresh reads one key from the bucket into the mirror.
func (s *store) refresh(ctx context.Context, key string) error {
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		s.mu.Lock()
		if strings.HasPrefix(key, sitePrefix) {
			delete(s.sites, key[len(sitePrefix):])
		} else {
			delete(s.endpoints, key[len(endpointPrefix):])
		}
		s.mu.Unlock()
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	s.applyEntry(e)
	return nil
}

// remove deletes a key at its mirrored revision.
func (s *store) remove(ctx context.Context, key string) error {
	s.mu.Lock()
	var rev uint64
	var ok bool
	if id, isSite := strings.CutPrefix(key, sitePrefix); isSite {
		var e siteEntry
		e, ok = s.sites[id]
		rev = e.rev
	} else {
		var e endpointEntry
		e, ok = s.endpoints[strings.TrimPrefix(key, endpointPrefix)]
		rev = e.rev
	}
	s.mu.Unlock()
	if !ok {
		return ErrNotFound
	}
	err := s.kv.Delete(ctx, key, jetstream.LastRevision(rev))
	if isRevisionMismatch(err) {
		return fmt.Errorf("%s changed meanwhile: %w", key, errConflict)
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	s.mu.Lock()
	if id, isSite := strings.CutPrefix(key, sitePrefix); isSite {
		delete(s.sites, id)
	} else {
		delete(s.endpoints, strings.TrimPrefix(key, endpointPrefix))
	}
	s.mu.Unlock()
	s.changed()
	return nil
}

func isRevisionMismatch(err error) bool {
	if err == nil {
		return false
	}
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyRevisionMismatch) ||
		(errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant))
}

func (s *store) siteHash(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sites[id].hash
}

func (s *store) endpointHash(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endpoints[id].hash
}
