package controlplane

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/popinbridge/bridge/internal/httpjson"
)

// Read tokens: POST/GET /api/v1/sites/{id}/tokens and DELETE
// /api/v1/sites/{id}/tokens/{token} (admin token only). The secret is
// returned once, by POST.

const (
	readTokenPrefix  = "brt_"
	maxTokensPerSite = 100
	maxTokenName     = 100
)

// tokenView is a read token as the API shows it; Token (the secret) only in
// the answer to its creation.
type tokenView struct {
	ID        string    `json:"id"`
	Site      string    `json:"site"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	Token     string    `json:"token,omitempty"`
}

func viewToken(t readToken) tokenView {
	return tokenView{ID: t.ID, Site: t.Site, Name: t.Name, CreatedAt: t.CreatedAt}
}

// newReadTokenSecret returns a fresh secret and its SHA-256.
func newReadTokenSecret() (string, [32]byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	secret := readTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, sha256.Sum256([]byte(secret))
}

func (m *Manager) createToken(w http.ResponseWriter, r *http.Request) error {
	st, err := m.ready()
	if err != nil {
		return err
	}
	siteID := r.PathValue("id")
	if _, ok := st.site(siteID); !ok {
		return notFound("site", siteID)
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, &in, true); err != nil {
		return err
	}
	if len(in.Name) > maxTokenName || strings.ContainsAny(in.Name, "\r\n") {
		return invalid("name", "name: one line, at most %d characters", maxTokenName)
	}
	if len(st.siteTokens(siteID)) >= maxTokensPerSite {
		return conflict("too_many_tokens", "site %s has %d read tokens, the most allowed; revoke one first", siteID, maxTokensPerSite)
	}
	secret, sum := newReadTokenSecret()
	t := readToken{ID: randomID("rt_"), Site: siteID, Name: in.Name, Hash: hex.EncodeToString(sum[:]), CreatedAt: m.now().UTC()}
	if err := st.createToken(r.Context(), t); err != nil {
		return err
	}
	v := viewToken(t)
	v.Token = secret // shown once
	httpjson.WriteJSON(w, http.StatusCreated, v)
	return nil
}

func (m *Manager) listTokens(w http.ResponseWriter, r *http.Request) error {
	st, err := m.ready()
	if err != nil {
		return err
	}
	siteID := r.PathValue("id")
	if _, ok := st.site(siteID); !ok {
		return notFound("site", siteID)
	}
	out := list[tokenView]{Data: []tokenView{}}
	for _, t := range st.siteTokens(siteID) {
		out.Data = append(out.Data, viewToken(t))
	}
	httpjson.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (m *Manager) deleteToken(w http.ResponseWriter, r *http.Request) error {
	st, err := m.ready()
	if err != nil {
		return err
	}
	siteID, id := r.PathValue("id"), r.PathValue("token")
	found := false
	for _, t := range st.siteTokens(siteID) {
		found = found || t.ID == id
	}
	if !found {
		return notFound("read token", id)
	}
	if err := st.removeToken(r.Context(), id); errors.Is(err, ErrNotFound) {
		return notFound("read token", id)
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// removeSiteTokens revokes every token of a deleted site, so a site created
// later under the same id does not inherit them.
func (m *Manager) removeSiteTokens(r *http.Request, st *store, siteID string) error {
	for _, t := range st.siteTokens(siteID) {
		if err := st.removeToken(r.Context(), t.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}
