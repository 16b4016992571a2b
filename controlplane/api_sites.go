package controlplane

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/popinbridge/bridge/internal/httpjson"
	"github.com/popinbridge/bridge/internal/site"
)

// siteView is a site as the API shows it: the Popin API key is never
// returned (only whether one is set), except Popin's "." placeholder.
type siteView struct {
	site.Site
	PopinAPIKeySet bool      `json:"popin_api_key_set"`
	Origin         string    `json:"origin,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func viewSite(r siteRecord) siteView {
	v := siteView{Site: r.Site, Origin: r.Origin, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	v.PopinAPIKeySet = r.PopinAPIKey != ""
	if v.PopinAPIKey != "." {
		v.PopinAPIKey = ""
	}
	if v.Origins == nil {
		v.Origins = []string{}
	}
	return v
}

// checkSite validates a site, naming the first bad field.
func checkSite(s *site.Site) error {
	if !idPattern.MatchString(s.ID) {
		return fieldErr("id", "must be 1 to 64 letters, digits, '-' or '_'")
	}
	if strings.ContainsAny(s.PopinAPIKey, "\r\n") || len(s.PopinAPIKey) > 512 {
		return fieldErr("popin_api_key", "one line, at most 512 characters")
	}
	err := s.Validate()
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	msg := err.Error()
	field := errs[0].Error()
	if i := strings.IndexAny(field, ": "); i > 0 {
		field = field[:i]
	}
	return &fieldError{Field: field, Msg: strings.TrimPrefix(strings.ReplaceAll(msg, "\n", "; "), field+": ")}
}

func randomID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func (m *Manager) listSites(w http.ResponseWriter, r *http.Request) error {
	st, err := m.ready()
	if err != nil {
		return err
	}
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	scope, scoped := readScope(r)
	var views []siteView
	for _, s := range st.listSites() {
		if scoped && s.ID != scope.Site {
			continue
		}
		views = append(views, viewSite(s))
	}
	httpjson.WriteJSON(w, http.StatusOK, paginate(views, func(v siteView) string { return v.ID }, p))
	return nil
}

func (m *Manager) getSite(w http.ResponseWriter, r *http.Request) error {
	return getByID(m, w, r, "site", (*store).site, viewSite)
}

// writeKeyTaken reports whether another site uses key.
func writeKeyTaken(st *store, id, key string) bool {
	for _, s := range st.listSites() {
		if s.ID != id && s.WriteKey == key {
			return true
		}
	}
	return false
}

func (m *Manager) createSite(w http.ResponseWriter, r *http.Request) error {
	st, err := m.ready()
	if err != nil {
		return err
	}
	var s site.Site
	if err := decode(w, r, &s, false); err != nil {
		return err
	}
	if s.ID == "" {
		s.ID = randomID("site_")
	}
	if s.WriteKey == "" {
		s.WriteKey = randomID("pk_")
	}
	s.ApplyDefaults()
	if err := checkSite(&s); err != nil {
		return err
	}
	if writeKeyTaken(st, s.ID, s.WriteKey) {
		return &apiError{http.StatusConflict, "write_key_taken", "write_key is used by another site", "write_key"}
	}
	now := m.now().UTC()
	rec := siteRecord{Site: s, Origin: originAPI, CreatedAt: now, UpdatedAt: now}
	if err := st.createSite(r.Context(), rec, ""); errors.Is(err, errConflict) {
		return &apiError{http.StatusConflict, "exists", "site " + s.ID + " already exists", "id"}
	} else if err != nil {
		return err
	}
	v := viewSite(rec)
	v.PopinAPIKey = s.PopinAPIKey // shown once, at creation
	httpjson.WriteJSON(w, http.StatusCreated, v)
	return nil
}

func (m *Manager) patchSite(w http.ResponseWriter, r *http.Request) error {
	st, err := m.ready()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	var patch map[string]json.RawMessage
	if err := decode(w, r, &patch, false); err != nil {
		return err
	}
	raw, _ := json.Marshal(patch)
	rec, err := st.updateSite(r.Context(), id, func(rec *siteRecord, _ *string) error {
		s := rec.Site
		if err := decodeBytes(raw, &s); err != nil {
			return err
		}
		if s.ID != id {
			return invalid("id", "id cannot be changed")
		}
		s.ApplyDefaults()
		if err := checkSite(&s); err != nil {
			return err
		}
		if writeKeyTaken(st, id, s.WriteKey) {
			return &apiError{http.StatusConflict, "write_key_taken", "write_key is used by another site", "write_key"}
		}
		rec.Site, rec.UpdatedAt = s, m.now().UTC()
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return notFound("site", id)
	}
	if err != nil {
		return err
	}
	httpjson.WriteJSON(w, http.StatusOK, viewSite(rec))
	return nil
}

func (m *Manager) deleteSite(w http.ResponseWriter, r *http.Request) error {
	st, err := m.ready()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, ok := st.site(id); !ok {
		return notFound("site", id)
	}
	if st.siteHasEndpoints(id) {
		return conflict("site_in_use", "site %s still has endpoints; delete them first", id)
	}
	if err := st.remove(r.Context(), sitePrefix+id); errors.Is(err, ErrNotFound) {
		return notFound("site", id)
	} else if err != nil {
		return err
	}
	if err := m.removeSiteTokens(r, st, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
