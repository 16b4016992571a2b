package controlplane

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/popinbridge/bridge/controlplane/apidocs"
	"github.com/popinbridge/bridge/internal/httpjson"
)

// route is one API operation; the OpenAPI test checks the document against
// this table.
type route struct {
	method, path string
	h            func(*Manager, http.ResponseWriter, *http.Request) error
}

// apiRoutes lists every operation of the API.
var apiRoutes = []route{
	{"GET", "/api/v1/sites", (*Manager).listSites},
	{"POST", "/api/v1/sites", (*Manager).createSite},
	{"GET", "/api/v1/sites/{id}", (*Manager).getSite},
	{"PATCH", "/api/v1/sites/{id}", (*Manager).patchSite},
	{"DELETE", "/api/v1/sites/{id}", (*Manager).deleteSite},
	{"GET", "/api/v1/sites/{id}/tokens", (*Manager).listTokens},
	{"POST", "/api/v1/sites/{id}/tokens", (*Manager).createToken},
	{"DELETE", "/api/v1/sites/{id}/tokens/{token}", (*Manager).deleteToken},
	{"GET", "/api/v1/endpoints", (*Manager).listEndpoints},
	{"POST", "/api/v1/endpoints", (*Manager).createEndpoint},
	{"POST", "/api/v1/endpoints/test-rules", (*Manager).testRules},
	{"POST", "/api/v1/templates/preview", (*Manager).previewTemplate},
	{"GET", "/api/v1/endpoints/{id}", (*Manager).getEndpoint},
	{"PATCH", "/api/v1/endpoints/{id}", (*Manager).patchEndpoint},
	{"DELETE", "/api/v1/endpoints/{id}", (*Manager).deleteEndpoint},
	{"POST", "/api/v1/endpoints/{id}/test", (*Manager).testEndpoint},
	{"POST", "/api/v1/endpoints/{id}/rotate-secret", (*Manager).rotateSecret},
	{"GET", "/api/v1/endpoints/{id}/deliveries", (*Manager).listDeliveries},
	{"GET", "/api/v1/endpoints/{id}/stats", (*Manager).endpointStats},
	{"POST", "/api/v1/endpoints/{id}/retry-failed", (*Manager).retryFailed},
	{"POST", "/api/v1/endpoints/{id}/replay", (*Manager).replay},
	{"GET", "/api/v1/deliveries/{id}", (*Manager).getDelivery},
	{"POST", "/api/v1/deliveries/{id}/retry", (*Manager).retryDelivery},
	{"GET", "/api/v1/event-types", (*Manager).eventTypes},
	{"GET", "/api/v1/analytics/funnel", (*Manager).analyticsFunnel},
	{"GET", "/api/v1/analytics/summary", (*Manager).analyticsSummary},
	{"GET", "/api/v1/erasures", (*Manager).listErasures},
	{"POST", "/api/v1/erasures", (*Manager).createErasure},
	{"GET", "/api/v1/erasures/{id}", (*Manager).getErasure},
	{"GET", "/api/v1/openapi.json", (*Manager).openAPI},
}

// apiError is an error with its HTTP answer (CONTRACT §10 error shape).
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

func (e *apiError) body() httpjson.ErrorBody {
	return httpjson.ErrorBody{Error: httpjson.Error{Code: e.Code, Message: e.Message, Field: e.Field}}
}

func badRequest(field, format string, a ...any) error {
	return &apiError{http.StatusBadRequest, "malformed", fmt.Sprintf(format, a...), field}
}

func invalid(field, format string, a ...any) error {
	return &apiError{http.StatusUnprocessableEntity, "invalid", fmt.Sprintf(format, a...), field}
}

func conflict(code, format string, a ...any) error {
	return &apiError{http.StatusConflict, code, fmt.Sprintf(format, a...), ""}
}

func notFound(what, id string) error {
	return &apiError{http.StatusNotFound, "not_found", fmt.Sprintf("%s %q does not exist", what, id), "id"}
}

// getByID answers GET .../{id}: the view of the record find has under the
// path's id, or 404 naming what.
func getByID[R, V any](m *Manager, w http.ResponseWriter, r *http.Request, what string, find func(*store, string) (R, bool), view func(R) V) error {
	st, err := m.ready()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	rec, ok := find(st, id)
	if !ok {
		return notFound(what, id)
	}
	httpjson.WriteJSON(w, http.StatusOK, view(rec))
	return nil
}

func unavailable(what string) error {
	return &apiError{http.StatusServiceUnavailable, "unavailable", what + " is not available on this node", ""}
}

func (m *Manager) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range apiRoutes {
		rt := rt
		pattern := rt.method + " " + rt.path
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			sw := &statusWriter{ResponseWriter: w}
			err := error(nil)
			if t, ok := readScope(r); ok {
				err = m.allowRead(r, pattern, t)
			}
			if err == nil {
				err = rt.h(m, sw, r)
			}
			if err != nil {
				m.writeErr(sw, r, err)
			}
			m.metrics.apiRequests.WithLabelValues(pattern, strconv.Itoa(sw.code())).Inc()
		})
	}
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		// Distinguish "no such path" from "wrong method" (the catch-all
		// would otherwise hide the mux's 405).
		var allow []string
		for _, meth := range []string{"GET", "POST", "PATCH", "DELETE"} {
			r2 := r.Clone(r.Context())
			r2.Method = meth
			if _, p := mux.Handler(r2); p != "" && p != "/api/v1/" {
				allow = append(allow, meth)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			httpjson.WriteError(w, http.StatusMethodNotAllowed, "method_not_allowed",
				fmt.Sprintf("%s is not allowed here; use %s", r.Method, strings.Join(allow, ", ")))
			return
		}
		httpjson.WriteError(w, http.StatusNotFound, "not_found", "no such API path: "+r.URL.Path)
	})
	// The API reference needs no token: it renders the document, no data.
	outer := http.NewServeMux()
	outer.Handle("GET /api/v1/docs/", apidocs.Handler("/api/v1/docs/", openAPIDoc))
	outer.Handle("GET /api/v1/docs", http.RedirectHandler("/api/v1/docs/", http.StatusMovedPermanently))
	outer.Handle("/", m.authenticate(mux))
	return outer
}

// authenticate answers 401 unless the request carries the admin token or a
// read token (which routes then limit, authz.go).
func (m *Manager) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if m.set.AdminToken == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bridge"`)
			httpjson.WriteError(w, http.StatusUnauthorized, "unauthorized",
				"the management API is disabled: admin_token is not configured")
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		if ok && subtle.ConstantTimeCompare(sum[:], m.tokenSum[:]) == 1 {
			next.ServeHTTP(w, r)
			return
		}
		if st := m.store(); ok && st != nil {
			if t, found := st.tokenFor(sum); found {
				next.ServeHTTP(w, withReadScope(r, t))
				return
			}
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="bridge"`)
		httpjson.WriteError(w, http.StatusUnauthorized, "unauthorized",
			"missing or wrong token (Authorization: Bearer <admin_token or a site's read token>)")
	})
}

// writeErr maps an error to its answer; unexpected ones are logged and 500.
func (m *Manager) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var fe *fieldError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &fe):
		ae = &apiError{http.StatusUnprocessableEntity, "invalid", fe.Error(), fe.Field}
	case errors.Is(err, ErrNotFound):
		ae = &apiError{http.StatusNotFound, "not_found", err.Error(), "id"}
	case errors.Is(err, errConflict):
		ae = &apiError{http.StatusConflict, "conflict", "changed concurrently by another request; retry: " + err.Error(), ""}
	case errors.Is(err, errBusy):
		ae = &apiError{http.StatusServiceUnavailable, "busy", err.Error(), ""}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		ae = &apiError{http.StatusServiceUnavailable, "timeout", "the request did not finish in time: " + err.Error(), ""}
	default:
		m.log.Error("controlplane: API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = &apiError{http.StatusInternalServerError, "internal", "internal error (see the bridge log)", ""}
	}
	if ae.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	httpjson.WriteJSON(w, ae.Status, ae.body())
}

// statusWriter remembers the status code for the metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) code() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}

// maxBody bounds request bodies.
const maxBody = 1 << 20

// decode reads a JSON object into v, refusing unknown fields. An empty body
// is allowed only when optional.
func decode(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &apiError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body larger than %d bytes", maxBody), ""}
		}
		return badRequest("", "cannot read body: %v", err)
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		if optional {
			return nil
		}
		return badRequest("", "a JSON object body is required")
	}
	return decodeBytes(raw, v)
}

func decodeBytes(raw []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field == "":
			return badRequest("", "malformed: the body must be a JSON object")
		case errors.As(err, &te):
			return invalid(te.Field, "%s: must be %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return invalid(f, "%s: unknown field", f)
		default:
			return badRequest("", "malformed JSON: %v", err)
		}
	}
	if dec.More() {
		return badRequest("", "malformed JSON: more than one value")
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "bool":
		return "a boolean"
	case "string":
		return "a string"
	case "ptr":
		return "a string"
	}
	return "a number"
}

// page is the query of a list request.
type page struct {
	cursor string
	limit  int
}

func parsePage(r *http.Request) (page, error) {
	p := page{limit: 50}
	q := r.URL.Query()
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return p, invalid("limit", "limit: %q is not a number from 1 to 500", s)
		}
		p.limit = n
	}
	if c := q.Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil {
			return p, invalid("cursor", "cursor: not a cursor returned by this API")
		}
		p.cursor = string(b)
	}
	return p, nil
}

func encodeCursor(s string) string {
	if s == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// list is the CONTRACT §10 list shape.
type list[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

// paginate pages items sorted by key.
func paginate[T any](items []T, key func(T) string, p page) list[T] {
	out := list[T]{Data: []T{}}
	for _, it := range items {
		if p.cursor != "" && key(it) <= p.cursor {
			continue
		}
		if len(out.Data) == p.limit {
			out.NextCursor = encodeCursor(key(out.Data[len(out.Data)-1]))
			break
		}
		out.Data = append(out.Data, it)
	}
	return out
}

// ready returns the store or a 503 before Start.
func (m *Manager) ready() (*store, error) {
	st := m.store()
	if st == nil {
		return nil, unavailable("the state store (not started yet)")
	}
	return st, nil
}
