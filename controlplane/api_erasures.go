package controlplane

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"

	"github.com/popinbridge/bridge/controlplane/erasure"
	"github.com/popinbridge/bridge/internal/httpjson"
)

// Erasures takes erasure requests (*erasure.Service).
type Erasures interface {
	Submit(ctx context.Context, req erasure.Request, by string) (erasure.Job, error)
	Job(ctx context.Context, id string) (erasure.Job, error)
	List(ctx context.Context, site string) ([]erasure.Job, error)
}

// requestedBy is the audit's "who asked": the API has one credential.
const requestedBy = "admin_token"

// createErasure: POST /api/v1/erasures → 202 with the pending job.
func (m *Manager) createErasure(w http.ResponseWriter, r *http.Request) error {
	var req erasure.Request
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	if m.set.Erasures == nil {
		return unavailable("erasure (ClickHouse)")
	}
	j, err := m.set.Erasures.Submit(r.Context(), req, requestedBy)
	if err != nil {
		return erasureErr(err)
	}
	w.Header().Set("Location", "/api/v1/erasures/"+j.ID)
	httpjson.WriteJSON(w, http.StatusAccepted, j)
	return nil
}

// getErasure: GET /api/v1/erasures/{id}.
func (m *Manager) getErasure(w http.ResponseWriter, r *http.Request) error {
	if m.set.Erasures == nil {
		return unavailable("erasure (ClickHouse)")
	}
	j, err := m.set.Erasures.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		return erasureErr(err)
	}
	httpjson.WriteJSON(w, http.StatusOK, j)
	return nil
}

// listErasures: GET /api/v1/erasures?site= → the audit records, newest
// first (site empty: every site), paginated.
func (m *Manager) listErasures(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	if m.set.Erasures == nil {
		return unavailable("erasure (ClickHouse)")
	}
	jobs, err := m.set.Erasures.List(r.Context(), r.URL.Query().Get("site"))
	if err != nil {
		return erasureErr(err)
	}
	// The cursor key orders newest first: the inverted request time, then the id.
	key := func(j erasure.Job) string {
		return fmt.Sprintf("%019d%s", math.MaxInt64-j.RequestedAt.UnixNano(), j.ID)
	}
	httpjson.WriteJSON(w, http.StatusOK, paginate(jobs, key, p))
	return nil
}

func erasureErr(err error) error {
	var fe *erasure.FieldError
	switch {
	case errors.As(err, &fe):
		return invalid(fe.Field, "%s", fe.Message)
	case errors.Is(err, erasure.ErrNotFound):
		return &apiError{http.StatusNotFound, "not_found", err.Error(), "id"}
	case errors.Is(err, erasure.ErrUnavailable), errors.Is(err, erasure.ErrBusy):
		return &apiError{http.StatusServiceUnavailable, "unavailable", err.Error(), ""}
	}
	return err
}
