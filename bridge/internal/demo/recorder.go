package demo

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// recorder keeps the last N requests a local sandbox received.
type recorder struct {
	mu    sync.Mutex
	max   int
	items []recorded
	total int
}

type recorded struct {
	At      time.Time         `json:"at"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
	Note    string            `json:"note,omitempty"`
}

func newRecorder(max int) *recorder { return &recorder{max: max} }

// capture reads the request (bounded) and records it; note is shown in the UI.
func (r *recorder) capture(req *http.Request, note func(body []byte, h http.Header) string) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	h := map[string]string{}
	for _, k := range []string{"Content-Type", "Webhook-Id", "Webhook-Timestamp", "Webhook-Signature", "Authorization", "X-Api-Key", "User-Agent"} {
		if v := req.Header.Get(k); v != "" {
			h[k] = v
		}
	}
	rec := recorded{At: time.Now().UTC(), Path: req.URL.Path, Headers: h}
	if json.Valid(body) {
		rec.Body = body
	} else {
		rec.Body, _ = json.Marshal(string(body))
	}
	if note != nil {
		rec.Note = note(body, req.Header)
	}
	r.mu.Lock()
	r.items = append(r.items, rec)
	if len(r.items) > r.max {
		r.items = r.items[len(r.items)-r.max:]
	}
	r.total++
	r.mu.Unlock()
	return body, nil
}

func (r *recorder) serveList(w http.ResponseWriter, _ *http.Request) {
	r.mu.Lock()
	out := struct {
		Total int        `json:"total"`
		Data  []recorded `json:"data"`
	}{r.total, make([]recorded, 0, len(r.items))}
	for i := len(r.items) - 1; i >= 0; i-- {
		out.Data = append(out.Data, r.items[i])
	}
	r.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
