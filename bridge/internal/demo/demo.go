// Package demo serves what `bridge demo` shows a newcomer: a customer page
// with a simulated Popin widget, a webhook inspector that verifies Standard
// Webhooks signatures, a Conversions API sandbox, and a live list of the
// events stored in ClickHouse. It is mounted under /demo/ and is never part
// of `bridge serve`.
package demo

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"time"
)

//go:embed assets
var assets embed.FS

// EventLister returns the newest stored events for the live list.
type EventLister interface {
	RecentEvents(ctx context.Context, limit int) ([]map[string]any, error)
}

// Verifier checks a Standard Webhooks signature; nil error means valid.
type Verifier func(body []byte, h http.Header) error

// Settings configures the demo pages.
type Settings struct {
	WriteKey    string
	PopinAPIKey string
	Events      EventLister
	Verify      Verifier
}

// Handler serves /demo/….
func Handler(s Settings) http.Handler {
	hooks, capi := newRecorder(100), newRecorder(100)
	page := template.Must(template.ParseFS(assets, "assets/index.html"))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /demo/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(w, map[string]string{"WriteKey": s.WriteKey, "PopinAPIKey": s.PopinAPIKey})
	})
	mux.Handle("GET /demo/widget.js", http.StripPrefix("/demo/", http.FileServerFS(mustSub())))
	mux.HandleFunc("POST /demo/inspector/hook", func(w http.ResponseWriter, r *http.Request) {
		_, err := hooks.capture(r, func(body []byte, h http.Header) string {
			if s.Verify == nil {
				return "received"
			}
			if err := s.Verify(body, h); err != nil {
				return "signature INVALID: " + err.Error()
			}
			return "signature verified"
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /demo/api/inspector", hooks.serveList)
	mux.HandleFunc("POST /demo/graph/{version}/{pixel}/events", func(w http.ResponseWriter, r *http.Request) {
		body, err := capi.capture(r, capiNote)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req struct {
			Data []json.RawMessage `json:"data"`
		}
		if json.Unmarshal(body, &req) != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"message": "Invalid JSON", "type": "OAuthException", "code": 100}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"events_received": len(req.Data), "messages": []string{}, "fbtrace_id": fmt.Sprintf("demo%d", time.Now().UnixNano())})
	})
	mux.HandleFunc("GET /demo/api/capi", capi.serveList)
	mux.HandleFunc("GET /demo/api/events", func(w http.ResponseWriter, r *http.Request) {
		if s.Events == nil {
			writeJSON(w, http.StatusOK, map[string]any{"data": []any{}})
			return
		}
		rows, err := s.Events.RecentEvents(r.Context(), 50)
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": rows})
	})
	return mux
}

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// capiNote says whether every hashed user_data field really looks hashed.
func capiNote(body []byte, _ http.Header) string {
	var req struct {
		Data []struct {
			EventName string                     `json:"event_name"`
			UserData  map[string]json.RawMessage `json:"user_data"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &req) != nil {
		return "not JSON"
	}
	var names []string
	for _, e := range req.Data {
		names = append(names, e.EventName)
		for _, k := range []string{"em", "ph", "fn", "ln", "ct", "st", "zp", "country", "external_id"} {
			raw, ok := e.UserData[k]
			if !ok {
				continue
			}
			var vals []string
			if json.Unmarshal(raw, &vals) != nil {
				var one string
				_ = json.Unmarshal(raw, &one)
				vals = []string{one}
			}
			for _, v := range vals {
				if !hexHash.MatchString(v) {
					return "UNHASHED " + k + " in " + e.EventName
				}
			}
		}
	}
	return fmt.Sprintf("%d event(s): %s — all user_data hashed", len(req.Data), strings.Join(names, ", "))
}
