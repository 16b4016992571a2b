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
// take it now (Popin retries); 429 + Retry-After over the client IP's or
// the site's rate limit.
//
// Each request spends one event token from the same per-IP and per-site
// buckets as the event routes, before the X-API-KEY check and before the
// body is read, so that a flood (authenticated or not) costs no parsing.
func (in *Ingest) serveHook(w http.ResponseWriter, r *http.Request) {
	const tr = "hook"
	refusal := func(e *Error) { in.refuseHTTP(w, tr, e, 0) }
	s, ok := in.siteFor(r)
	if !ok {
		refusal(refuse(CodeBadKey, "unknown or missing write key (?key=)"))
		return
	}
	c := in.clientOf(r, s, tr)
	if wait := in.rateLimit(c, 1, in.now()); wait > 0 {
		in.refuseHTTP(w, tr, refuse(CodeRateLimited, "too many requests; retry in %s", wait.Round(time.Millisecond)), wait)
		return
	}
	switch s.PopinAPIKey {
	case "":
		refusal(refuse(CodeBadKey, "site %s has no popin_api_key: webhooks are disabled", s.ID).withStatus(http.StatusForbidden))
		return
	case PopinAPIKeyNone:
		// explicitly unauthenticated
	default:
		got := r.Header.Get("X-API-KEY")
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.PopinAPIKey)) != 1 {
			refusal(refuse(CodeBadKey, "missing or wrong X-API-KEY"))
			return
		}
	}
	if in.isClosing() {
		refusal(refuse(CodeUnavailable, "shutting down"))
		return
	}
	body, err := readBody(w, r, in.lim.MaxBatchBytes)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			refusal(refuse(CodeTooLarge, "body exceeds %d bytes", in.lim.MaxBatchBytes))
			return
		}
		refusal(refuse(CodeMalformed, "reading body: %v", err))
		return
	}
	in.m.batches.WithLabelValues(tr).Inc()
	if !utf8.Valid(body) {
		refusal(refuse(CodeMalformed, "not valid UTF-8"))
		return
	}
	if _, _, e := scanLimits(body, in.lim); e != nil {
		refusal(e)
		return
	}
	now := in.now()
	ev, err := in.hook(s.ID, body, now)
	if err != nil {
		refusal(refuse(CodeMalformed, "%v", err))
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
		refusal(refuse(CodeMalformed, "webhook has no event id or name"))
		return
	}
	known, err := in.validator.Validate(ev.Source, ev.Name, ev.Data)
	if err == nil {
		err = checkNumbers(ev.Data)
	}
	if err != nil {
		in.m.rejected.WithLabelValues(tr, string(CodeInvalidEvent)).Inc()
		writeRefusal(w, refuse(CodeInvalidEvent, "%v", err), 0)
		return
	}
	ev.Known = known
	if err := in.inheritConsent(r.Context(), &ev); err != nil {
		in.logger.Warn("webhook refused: consent memory unavailable", "site", s.ID, "err", err)
		refusal(refuse(CodeUnavailable, "consent memory unavailable; retry later"))
		return
	}
	if err := in.commit(r.Context(), c, []event.Event{ev}); errors.Is(err, eventlog.ErrTooLarge) {
		refusal(refuse(CodeTooLarge, "webhook larger than the event log accepts"))
		return
	} else if err != nil {
		refusal(refuse(CodeUnavailable, "event log cannot take events now; retry later"))
		return
	}
	writeJSON(w, http.StatusOK, httpResult{Accepted: []string{ev.ID}, Rejected: []Reject{}})
}
