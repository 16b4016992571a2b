package controlplane

import (
	"errors"
	"net/http"

	"github.com/popinbridge/bridge/internal/endpoint/rules"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/httpjson"
	"github.com/popinbridge/bridge/internal/payload"
)

// rulesRequest is the body of POST /api/v1/endpoints/test-rules.
type rulesRequest struct {
	Filter    string       `json:"filter"`
	Transform string       `json:"transform"`
	Event     *event.Event `json:"event"`
}

// rulesResult says whether the filter lets the event through and what
// body a webhook receiver would get (the transform's, else the default).
type rulesResult struct {
	Matched bool           `json:"matched"`
	Body    map[string]any `json:"body"`
}

// rulesError is a 422 answer naming the expression and the position of
// the problem in it (line and column 1-based; absent without a position).
type rulesError struct {
	Error struct {
		httpjson.Error
		Line   int `json:"line,omitempty"`
		Column int `json:"column,omitempty"`
	} `json:"error"`
}

// testRules compiles a filter and a transform as endpoint validation does
// and evaluates them on an event (a sample lead when none is given),
// sending nothing.
func (m *Manager) testRules(w http.ResponseWriter, r *http.Request) error {
	var req rulesRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	ev := req.Event
	if ev == nil {
		ev = payload.Sample()
	}
	env := rules.NewEnv(ev)
	res := rulesResult{Matched: true}
	if req.Filter != "" {
		f, err := rules.CompileFilter(req.Filter)
		if err == nil {
			res.Matched, err = f.MatchEnv(env)
		}
		if err != nil {
			writeRulesError(w, "filter", err)
			return nil
		}
	}
	body, err := payload.DefaultBody(ev)
	if req.Transform != "" {
		var t *rules.Transform
		if t, err = rules.CompileTransform(req.Transform); err == nil {
			body, err = t.BodyEnv(env)
		}
		if err != nil {
			writeRulesError(w, "transform", err)
			return nil
		}
	}
	if err != nil {
		return err
	}
	if err := decodeBytes(body, &res.Body); err != nil {
		return err
	}
	httpjson.WriteJSON(w, http.StatusOK, res)
	return nil
}

func writeRulesError(w http.ResponseWriter, field string, err error) {
	var b rulesError
	b.Error.Code, b.Error.Field, b.Error.Message = "invalid", field, field+": "+err.Error()
	var re *rules.Error
	if errors.As(err, &re) {
		b.Error.Line, b.Error.Column = re.Line, re.Column
	}
	httpjson.WriteJSON(w, http.StatusUnprocessableEntity, b)
}
