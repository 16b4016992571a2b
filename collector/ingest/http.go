package ingest

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/popinbridge/bridge/collector/eventlog"
)

// httpResult is the body of a processed POST /v1/events.
type httpResult struct {
	Accepted []string `json:"accepted"`
	Rejected []Reject `json:"rejected"`
	// ConsentMode is the site's consent_mode (as in the WebSocket hello).
	ConsentMode string `json:"consent_mode,omitempty"`
}

// serveEvents handles POST /v1/events?key=WRITE_KEY. CORS (preflight and
// response headers) is done by rs/cors around it; this handler enforces the
// origin itself so that a disallowed browser origin gets 403 origin.
func (in *Ingest) serveEvents(w http.ResponseWriter, r *http.Request) {
	const tr = "http"
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		writeRefusal(w, refuse(CodeMalformed, "method %s: want POST", r.Method).withStatus(http.StatusMethodNotAllowed), 0)
		return
	}
	refusal := func(e *Error, wait time.Duration) { in.refuseHTTP(w, tr, e, wait) }
	s, ok := in.siteFor(r)
	if !ok {
		refusal(refuse(CodeBadKey, "unknown or missing write key (?key=)"), 0)
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && !s.AllowsOrigin(origin) {
		refusal(refuse(CodeOrigin, "origin %q is not allowed for this site", trunc(origin, 100)), 0)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "text/plain") {
			refusal(refuse(CodeMalformed, "content type %q: want application/json or text/plain", trunc(ct, 100)).withStatus(http.StatusUnsupportedMediaType), 0)
			return
		}
	}
	if in.isClosing() {
		refusal(refuse(CodeUnavailable, "shutting down"), 0)
		return
	}
	if r.ContentLength > int64(in.lim.MaxBatchBytes) {
		refusal(refuse(CodeTooLarge, "body of %d bytes exceeds %d", r.ContentLength, in.lim.MaxBatchBytes), 0)
		return
	}
	body, err := readBody(w, r, in.lim.MaxBatchBytes)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			refusal(refuse(CodeTooLarge, "body exceeds %d bytes", in.lim.MaxBatchBytes), 0)
			return
		}
		refusal(refuse(CodeMalformed, "reading body: %v", err), 0)
		return
	}
	in.m.batches.WithLabelValues(tr).Inc()
	items, perr := ParseBatch(body, in.lim)
	if perr != nil {
		refusal(perr, 0)
		return
	}
	c := in.clientOf(r, s, tr)
	now := in.now()
	evs, wire, rejects := in.prepare(c, items, now)
	if len(evs) > 0 {
		if wait := in.rateLimit(c, len(evs), now); wait > 0 {
			refusal(refuse(CodeRateLimited, "too many events; retry in %s", wait.Round(time.Millisecond)), wait)
			return
		}
	}
	if err := in.commit(r.Context(), c, evs); errors.Is(err, eventlog.ErrTooLarge) {
		refusal(refuse(CodeTooLarge, "an event is larger than the event log accepts"), 0)
		return
	} else if err != nil {
		refusal(refuse(CodeUnavailable, "event log cannot take events now; retry later"), 0)
		return
	}
	in.countRejects(tr, rejects)
	res := httpResult{Accepted: wire, Rejected: rejects, ConsentMode: consentMode(s)}
	if res.Accepted == nil {
		res.Accepted = []string{}
	}
	if res.Rejected == nil {
		res.Rejected = []Reject{}
	}
	writeJSON(w, http.StatusOK, res)
}

// readBody reads at most max bytes of the request body; more is a
// *http.MaxBytesError.
func readBody(w http.ResponseWriter, r *http.Request, max int) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, int64(max))
	defer rd.Close()
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	_, err := io.Copy(&buf, rd)
	return buf.Bytes(), err
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
