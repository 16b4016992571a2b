package controlplane

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// readToken is a site-scoped read token as stored under "readtoken.<id>":
// the secret itself is never stored, only its SHA-256 (the secret is 32
// random bytes, so a plain hash is enough).
type readToken struct {
	ID        string    `json:"id"`
	Site      string    `json:"site"`
	Name      string    `json:"name,omitempty"`
	Hash      string    `json:"hash"` // hex SHA-256 of the secret
	CreatedAt time.Time `json:"created_at"`
}

type tokenEntry struct {
	tok readToken
	sum [32]byte
	rev uint64
}

// applyTokenLocked mirrors one token entry; s.mu is held. Entries that do
// not decode are ignored (and so grant nothing).
func (s *store) applyTokenLocked(id string, rev uint64, deleted bool, raw []byte) {
	if cur, ok := s.tokens[id]; ok && cur.rev >= rev {
		return
	}
	if deleted {
		delete(s.tokens, id)
		return
	}
	te, err := decodeToken(raw)
	if err != nil {
		s.log.Error("controlplane: cannot read a read token from bucket; ignored", "key", tokenPrefix+id, "err", err)
		return
	}
	te.rev = rev
	s.tokens[id] = te
}

func decodeToken(raw []byte) (tokenEntry, error) {
	var t readToken
	if err := json.Unmarshal(raw, &t); err != nil {
		return tokenEntry{}, err
	}
	b, err := hex.DecodeString(t.Hash)
	if err != nil || len(b) != sha256.Size {
		return tokenEntry{}, errors.New("hash is not a hex SHA-256")
	}
	te := tokenEntry{tok: t}
	copy(te.sum[:], b)
	return te, nil
}

// createToken stores a new token; errConflict if the id exists.
func (s *store) createToken(ctx context.Context, t readToken) error {
	raw, _ := json.Marshal(t)
	rev, err := s.put(ctx, tokenPrefix+t.ID, raw, 0)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.applyTokenLocked(t.ID, rev, false, raw)
	s.mu.Unlock()
	return nil
}

// removeToken deletes a token at its mirrored revision; ErrNotFound if the
// mirror does not hold it.
func (s *store) removeToken(ctx context.Context, id string) error {
	s.mu.Lock()
	cur, ok := s.tokens[id]
	s.mu.Unlock()
	if !ok {
		return ErrNotFound
	}
	err := s.kv.Delete(ctx, tokenPrefix+id, jetstream.LastRevision(cur.rev))
	if isRevisionMismatch(err) {
		return fmt.Errorf("%s changed meanwhile: %w", tokenPrefix+id, errConflict)
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", tokenPrefix+id, err)
	}
	s.mu.Lock()
	delete(s.tokens, id)
	s.mu.Unlock()
	return nil
}

// siteTokens returns the site's tokens, oldest first.
func (s *store) siteTokens(site string) []readToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []readToken
	for _, e := range s.tokens {
		if e.tok.Site == site {
			out = append(out, e.tok)
		}
	}
	slices.SortFunc(out, func(a, b readToken) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// tokenFor returns the token whose secret hashes to sum. Every stored hash
// is compared in constant time.
func (s *store) tokenFor(sum [32]byte) (readToken, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		found readToken
		ok    bool
	)
	for _, e := range s.tokens {
		if subtle.ConstantTimeCompare(e.sum[:], sum[:]) == 1 {
			found, ok = e.tok, true
		}
	}
	return found, ok
}
