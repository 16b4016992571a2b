package ingest

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/internal/event"
)

// PopinAPIKeyNone is the popin_api_key value that makes a site's webhook
// endpoint unauthenticated ("." is Popin's own placeholder for "no key"). It
// must be set explicitly; an empty popin_api_key refuses every webhook.
const PopinAPIKeyNone = "."

// serveHook handles POST /v1/hooks/popin?key=WRITE_KEY: one Popin server
// webhook, authenticated by X-API-KEY = the site's popin_api_key (compared
// in constant time). 200 only after the event is durably appended; 401
// unknown write key or wrong/missing X-API-KEY; 403 when the site has no
// popin_api_key; 400 malformed or invalid; 413 too large; 503 log cannot
// take it now (Popin retries).
func (in *Ingest) serveHook(w http.ResponseWriter, r *http.Request) {
	const tr = "hook"
	refusal := func(status int, e *Error) {
		in.m.refusals.WithLabelValues(tr, string(e.Code)).Inc()
		var retry time.Duration
		if status == http.StatusServiceUnavailable {
			retry = in.cfg.RetryAfter
		}
		writeRefusal(w, status, e, retry)
	}
	s, ok := in.siteFor(r)
	if !ok {
		refusal(http.StatusUnauthorized, refuse(CodeBadKey, "unknown or missing write key (?key=)"))
		return
	}
	switch s.PopinAPIKey {
	case "":
		refusal(http.StatusForbidden, refuse(CodeBadKey, "site %s has no popin_api_key: webhooks are disabled", s.ID))
		return
	case PopinAPIKeyNone:
		// explicitly unauthenticated
	default:
		got := r.Header.Get("X-API-KEY")
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.PopinAPIKey)) != 1 {
			refusal(http.StatusUnauthorized, refuse(CodeBadKey, "missing or wrong X-API-KEY"))
			return
		}
	}
	if in.isClosing() {
		refusal(http.StatusServiceUnavailable, refuse(CodeUnavailable, "shutting down"))
		return
	}
	body, err := readBody(w, r, in.lim.MaxBatchBytes)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			refusal(http.StatusRequestEntityTooLarge, refuse(CodeTooLarge, "body exceeds %d bytes", in.lim.MaxBatchBytes))
			return
		}
		refusal(http.StatusBadRequest, refuse(CodeMalformed, "reading body: %v", err))
		return
	}
	in.m.batches.WithLabelValues(tr).Inc()
	if !utf8.Valid(body) {
		refusal(http.StatusBadRequest, refuse(CodeMalformed, "not valid UTF-8"))
		return
	}
	if _, e := scanLimits(body, in.lim); e != nil {
		status := http.StatusBadRequest
		if e.Code == CodeTooLarge {
			status = http.StatusRequestEntityTooLarge
		}
		refusal(status, e)
		return
	}
	now := in.now()
	ev, err := in.hook(s.ID, body, now)
	if err != nil {
		refusal(http.StatusBadRequest, refuse(CodeMalformed, "%v", err))
		return
	}
	ev.SiteID = s.ID
	if ev.Source == "" {
		ev.Source = event.SourcePopinServer
	}
	if ev.ReceivedAt.IsZero() {
		ev.ReceivedAt = now
	}
	if ev.ID == "" || ev.Name == "" {
		refusal(http.StatusBadRequest, refuse(CodeMalformed, "webhook has no event id or name"))
		return
	}
	known, err := in.validator.Validate(ev.Source, ev.Name, ev.Data)
	if err != nil {
		in.m.rejected.WithLabelValues(tr, string(CodeInvalidEvent)).Inc()
		writeRefusal(w, http.StatusBadRequest, refuse(CodeInvalidEvent, "%v", err), 0)
		return
	}
	ev.Known = known
	c := client{site: s, transport: tr}
	if err := in.commit(r.Context(), c, []event.Event{ev}); errors.Is(err, eventlog.ErrTooLarge) {
		refusal(http.StatusRequestEntityTooLarge, refuse(CodeTooLarge, "webhook larger than the event log accepts"))
		return
	} else if err != nil {
		refusal(http.StatusServiceUnavailable, refuse(CodeUnavailable, "event log cannot take events now; retry later"))
		return
	}
	writeJSON(w, http.StatusOK, httpResult{Accepted: []string{ev.ID}, Rejected: []Reject{}})
}
