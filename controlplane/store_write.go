package controlplane

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Writes are compare-and-set on the KV revision; the local mirror is
// updated at once so a read after a write sees it.

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
		rec.Site = rec.Site.Clone() // mutate may decode into it: the stored record stays as it is until written
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
		ep, hash := cur.ep.Clone(), cur.hash
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
		s.endpoints[ep.ID] = endpointEntry{ep: ep.Clone(), hash: hash, rev: rev}
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
