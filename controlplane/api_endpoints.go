package controlplane

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/popinbridge/bridge/internal/consent"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/httpjson"
	"github.com/popinbridge/bridge/internal/signing"
)

// endpointInput is what create and PATCH accept.
type endpointInput struct {
	ID            string   `json:"id"`
	Site          string   `json:"site"`
	Type          string   `json:"type"`
	Description   string   `json:"description"`
	URL           string   `json:"url"`
	Events        []string `json:"events"`
	Auth          string   `json:"auth"`
	Template      string   `json:"template"`
	RetrySchedule []string `json:"retry_schedule"`
	PixelID       string   `json:"pixel_id"`
	APIVersion    string   `json:"api_version"`
	GraphURL      string   `json:"graph_url"`
	TestEventCode string   `json:"test_event_code"`
	Secret        string   `json:"secret"`
	Token         string   `json:"token"`
	AccessToken   string   `json:"access_token"`
	Status        string   `json:"status"`

	APIKeyHeader  string            `json:"api_key_header"`
	Headers       map[string]string `json:"headers"`
	Concurrency   int               `json:"concurrency"`
	EventMap      map[string]string `json:"event_map"`
	DefaultRegion string            `json:"default_region"`
	PlainHeaders  []string          `json:"plain_headers"`
	Consent       []string          `json:"consent"`
	Filter        string            `json:"filter"`
	Transform     string            `json:"transform"`
	RateLimit     float64           `json:"rate_limit"`
	RateBurst     int               `json:"rate_burst"`

	LimitedDataUse *consent.LimitedDataUse `json:"limited_data_use"`
	APIURL         string                  `json:"api_url"`
	PropertyMap    map[string]string       `json:"property_map"`

	OAuth2   *endpoint.OAuth2 `json:"oauth2"`
	TLS      *endpoint.TLS    `json:"tls"`
	ProxyURL string           `json:"proxy_url"`

	// ga4 and tiktok: measurement_id, api_secret, pixel_code, api_url.
	endpoint.AdPlatforms
	Ordering string `json:"ordering"`
}

func inputOf(e Endpoint) endpointInput {
	return endpointInput{e.ID, e.Site, e.Type, e.Description, e.URL, slices.Clone(e.Events), e.Auth, e.Template,
		slices.Clone(e.RetrySchedule), e.PixelID, e.APIVersion, e.GraphURL, e.TestEventCode, e.Secret, e.Token,
		e.AccessToken, e.Status, e.APIKeyHeader, maps.Clone(e.Headers), e.Concurrency, maps.Clone(e.EventMap), e.DefaultRegion, slices.Clone(e.PlainHeaders), slices.Clone(e.Consent),
		e.Filter, e.Transform, e.RateLimit, e.RateBurst, e.Clone().LimitedDataUse, e.APIURL, maps.Clone(e.PropertyMap),
		e.Clone().OAuth2, e.Clone().TLS, e.ProxyURL, e.AdPlatforms, e.Ordering}
}

func (in endpointInput) applyTo(e *Endpoint) {
	e.ID, e.Site, e.Type, e.Description, e.URL, e.Events, e.Auth, e.Template = in.ID, in.Site, in.Type, in.Description, in.URL, in.Events, in.Auth, in.Template
	e.RetrySchedule, e.PixelID, e.APIVersion, e.GraphURL, e.TestEventCode = in.RetrySchedule, in.PixelID, in.APIVersion, in.GraphURL, in.TestEventCode
	e.Secret, e.Token, e.AccessToken, e.Status = in.Secret, in.Token, in.AccessToken, in.Status
	e.APIKeyHeader, e.Headers, e.Concurrency, e.EventMap, e.DefaultRegion = in.APIKeyHeader, in.Headers, in.Concurrency, in.EventMap, in.DefaultRegion
	e.PlainHeaders, e.Consent, e.LimitedDataUse = in.PlainHeaders, in.Consent, in.LimitedDataUse
	e.Filter, e.Transform = in.Filter, in.Transform
	e.RateLimit, e.RateBurst = in.RateLimit, in.RateBurst
	e.APIURL, e.PropertyMap = in.APIURL, in.PropertyMap
	e.OAuth2, e.TLS, e.ProxyURL = in.OAuth2, in.TLS, in.ProxyURL
	e.AdPlatforms = in.AdPlatforms
	e.Ordering = in.Ordering
}

// endpointView is an endpoint as reads show it: no credentials, only
// whether they are set. Create, and PATCH when it generated a credential,
// add the new secret or token once.
type endpointView struct {
	Endpoint
	HasSecret               bool       `json:"has_secret,omitempty"`
	HasToken                bool       `json:"has_token,omitempty"`
	HasAccessToken          bool       `json:"has_access_token,omitempty"`
	HasAPISecret            bool       `json:"has_api_secret,omitempty"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty"`
	// DeliveryError is why the delivery engine left the endpoint out (it
	// receives nothing until changed); empty when it delivers.
	DeliveryError string `json:"delivery_error,omitempty"`
	// Flow is the endpoint's live flow control on this node (flow.go).
	Flow *Flow `json:"flow,omitempty"`
}

func (m *Manager) viewEndpoint(e Endpoint) endpointView {
	v := endpointView{HasSecret: e.Secret != "", HasToken: e.Token != "", HasAccessToken: e.AccessToken != "", HasAPISecret: e.APISecret != ""}
	if m.set.Engine != nil {
		v.DeliveryError = m.set.Engine.Problems()[e.ID]
		v.Flow = m.flowOf(e.ID)
	}
	for _, p := range endpoint.Unexpired(e.PreviousSecrets, m.now()) {
		if v.PreviousSecretExpiresAt == nil || p.Expires.After(*v.PreviousSecretExpiresAt) {
			t := p.Expires
			v.PreviousSecretExpiresAt = &t
		}
	}
	c := takeCredentials(&e)
	showRedacted(&e, c)
	if c.URL != "" {
		e.URL = redacted // a Slack webhook URL is a credential
	}
	for k, v := range e.Headers {
		if v == "" && e.SecretHeader(k) {
			e.Headers[k] = redacted
		}
	}
	if e.Events == nil {
		e.Events = []string{}
	}
	v.Endpoint = e
	return v
}

// check validates an endpoint for the API, the site included.
func (m *Manager) check(r *http.Request, st *store, e *Endpoint) error {
	errs := m.validateEndpoint(e)
	if e.Site != "" {
		if _, ok := st.site(e.Site); !ok {
			errs = append(errs, fieldErr("site", "site %q does not exist", e.Site))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	var fe *fieldError
	errors.As(errs[0], &fe)
	msg := errors.Join(errs...).Error()
	return &apiError{http.StatusUnprocessableEntity, "invalid", msg, fe.Field}
}

func (m *Manager) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	st, err := m.ready()
	if err != nil {
		return err
	}
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	siteID, status := q.Get("site"), q.Get("status")
	if t, ok := readScope(r); ok {
		siteID = t.Site // allowRead refused any other
	}
	switch status {
	case "", endpoint.StatusActive, endpoint.StatusPaused, endpoint.StatusDisabled:
	default:
		return invalid("status", "status: %q is not one of active, paused, disabled", status)
	}
	var views []endpointView
	for _, e := range st.listEndpoints() {
		if (siteID == "" || e.Site == siteID) && (status == "" || e.Status == status) {
			views = append(views, m.viewEndpoint(e))
		}
	}
	httpjson.WriteJSON(w, http.StatusOK, paginate(views, func(v endpointView) string { return v.ID }, p))
	return nil
}

func (m *Manager) getEndpoint(w http.ResponseWriter, r *http.Request) error {
	return getByID(m, w, r, "endpoint", (*store).endpoint, m.viewEndpoint)
}

func (m *Manager) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	st, err := m.ready()
	if err != nil {
		return err
	}
	var in endpointInput
	if err := decode(w, r, &in, false); err != nil {
		return err
	}
	if in.ID == "" {
		in.ID = randomID("ep_")
	}
	if in.Status == endpoint.StatusDisabled {
		return invalid("status", "a new endpoint is active or paused")
	}
	var e Endpoint
	in.applyTo(&e)
	if err := refuseRedacted(&e); err != nil {
		return err
	}
	prepare(&e)
	now := m.now().UTC()
	e.Origin, e.CreatedAt, e.UpdatedAt = originAPI, now, now
	e.NoteOrdering(nil, now.Add(endpoint.OrderingDelay))
	if err := m.check(r, st, &e); err != nil {
		return err
	}
	if err := st.createEndpoint(r.Context(), e, ""); errors.Is(err, errConflict) {
		return &apiError{http.StatusConflict, "exists", "endpoint " + e.ID + " already exists", "id"}
	} else if err != nil {
		return err
	}
	v := m.viewEndpoint(e)
	v.Secret, v.Token = e.Secret, e.Token // shown once
	httpjson.WriteJSON(w, http.StatusCreated, v)
	return nil
}

// readOnlyEndpointFields may not appear in a PATCH.
var readOnlyEndpointFields = map[string]string{
	"secret":           "use POST /api/v1/endpoints/{id}/rotate-secret",
	"type":             "cannot be changed; create a new endpoint",
	"previous_secrets": "read-only",
	"ordering_changes": "read-only: a change of ordering is recorded here",
}

func (m *Manager) patchEndpoint(w http.ResponseWriter, r *http.Request) error {
	st, err := m.ready()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	var patch map[string]json.RawMessage
	if err := decode(w, r, &patch, false); err != nil {
		return err
	}
	for k, why := range readOnlyEndpointFields {
		if _, ok := patch[k]; ok {
			return invalid(k, "%s: %s", k, why)
		}
	}
	raw, _ := json.Marshal(patch)
	var (
		generated bool
		oldStatus string
	)
	e, err := st.updateEndpoint(r.Context(), id, func(cur *Endpoint, _ *string) error {
		in := inputOf(*cur)
		if err := decodeBytes(raw, &in); err != nil {
			return err
		}
		if in.ID != id {
			return invalid("id", "id cannot be changed")
		}
		next := cur.Clone()
		var oldAuth string
		oldStatus, oldAuth = next.Status, next.Auth
		in.applyTo(&next)
		next.NoteOrdering(cur, m.now().UTC().Add(endpoint.OrderingDelay))
		for k, v := range next.Headers {
			if old, ok := cur.Headers[k]; ok && v == redacted {
				next.Headers[k] = old // sent back as read: keep the secret
			}
		}
		if next.SecretURL() && next.URL == redacted {
			next.URL = cur.URL // a secret url sent back as read
		}
		if err := keepEgressSecrets(*cur, &next, patch["oauth2"]); err != nil {
			return err
		}
		if next.Auth != oldAuth {
			next.Secret, next.PreviousSecrets = "", nil
			if _, ok := patch["token"]; !ok {
				next.Token = ""
			}
		}
		generated = prepare(&next)
		if next.Status != oldStatus {
			m.statusChanged(&next, oldStatus)
		}
		next.UpdatedAt = m.now().UTC()
		if err := m.check(r, st, &next); err != nil {
			return err
		}
		*cur = next
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return notFound("endpoint", id)
	}
	if err != nil {
		return err
	}
	if e.Status != oldStatus {
		m.log.Info("controlplane: endpoint status changed by an admin", "endpoint", id, "from", oldStatus, "to", e.Status)
	}
	v := m.viewEndpoint(e)
	if generated {
		v.Secret, v.Token = e.Secret, e.Token
	}
	httpjson.WriteJSON(w, http.StatusOK, v)
	return nil
}

// statusChanged records a status change made by an admin: active clears
// the disabled and failing state (re-enable).
func (m *Manager) statusChanged(e *Endpoint, _ string) {
	now := m.now().UTC()
	switch e.Status {
	case endpoint.StatusActive:
		e.DisabledReason, e.DisabledAt, e.FailingSince, e.FailingNotified = "", nil, nil, false
	case endpoint.StatusDisabled:
		e.DisabledReason, e.DisabledAt = "disabled by an admin", &now
	case endpoint.StatusPaused:
		e.DisabledReason, e.DisabledAt = "", nil
	}
}

func (m *Manager) deleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	st, err := m.ready()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := st.remove(r.Context(), endpointPrefix+id); errors.Is(err, ErrNotFound) {
		return notFound("endpoint", id)
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rotateRequest is the optional body of rotate-secret.
type rotateRequest struct {
	Overlap string `json:"overlap"`
}

// maxPreviousSecrets bounds how many rotated-out secrets sign at once.
const maxPreviousSecrets = endpoint.MaxPreviousSecrets

func (m *Manager) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	st, err := m.ready()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	var req rotateRequest
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	overlap := m.cfg.RotationOverlap
	if req.Overlap != "" {
		d, err := time.ParseDuration(req.Overlap)
		if err != nil || d < 0 || d > m.cfg.MaxRotationOverlap {
			return invalid("overlap", "overlap: %q is not a duration from 0s to %s", req.Overlap, m.cfg.MaxRotationOverlap)
		}
		overlap = d
	}
	now := m.now().UTC()
	expires := now.Add(overlap)
	e, err := st.updateEndpoint(r.Context(), id, func(e *Endpoint, _ *string) error {
		if !e.Signs() {
			return conflict("not_signing", "endpoint %s does not sign its deliveries (auth is %q)", id, e.Auth)
		}
		prev := endpoint.Unexpired(e.PreviousSecrets, now)
		if overlap > 0 {
			prev = append([]ExpiringSecret{{Secret: e.Secret, Expires: expires}}, prev...)
		}
		if len(prev) > maxPreviousSecrets {
			prev = prev[:maxPreviousSecrets]
		}
		e.Secret, e.PreviousSecrets, e.UpdatedAt = signing.NewSecret(), prev, now
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return notFound("endpoint", id)
	}
	if err != nil {
		return err
	}
	m.log.Info("controlplane: endpoint secret rotated", "endpoint", id, "previous_expires_at", expires)
	httpjson.WriteJSON(w, http.StatusOK, map[string]any{"secret": e.Secret, "previous_expires_at": expires})
	return nil
}
