package ingest

import (
	"net/http"
	"time"
)

// refusalAnswer is how every transport answers one refusal code.
type refusalAnswer struct {
	// status is the HTTP status of POST /v1/events, POST /v1/hooks/popin and
	// GET /v1/ws before the upgrade.
	status int
	// close is the WebSocket close code once upgraded; 0 for codes that never
	// close an open socket (closeCode then falls back to 1007).
	close int
	// retry: the HTTP answer carries Retry-After.
	retry bool
}

// refusalAnswers is the one mapping from refusal code to answer (CONTRACT §5).
var refusalAnswers = map[Code]refusalAnswer{
	CodeBadKey:       {http.StatusUnauthorized, 0, false},
	CodeOrigin:       {http.StatusForbidden, 0, false},
	CodeTooLarge:     {http.StatusRequestEntityTooLarge, CloseTooBig, false},
	CodeMalformed:    {http.StatusBadRequest, CloseInvalidPayload, false},
	CodeInvalidEvent: {http.StatusBadRequest, CloseInvalidPayload, false},
	CodeRateLimited:  {http.StatusTooManyRequests, 0, true}, // an open socket gets a retry message instead
	CodeUnavailable:  {http.StatusServiceUnavailable, CloseTryAgainLater, true},
}

// withStatus makes e answer status over HTTP instead of its code's.
func (e *Error) withStatus(status int) *Error { e.status = status; return e }

// withClose makes e close a socket with code instead of its code's.
func (e *Error) withClose(code int) *Error { e.close = code; return e }

// httpStatus is the HTTP status e is answered with; 500 for an unknown code.
func (e *Error) httpStatus() int {
	if e.status != 0 {
		return e.status
	}
	if a, ok := refusalAnswers[e.Code]; ok {
		return a.status
	}
	return http.StatusInternalServerError
}

// closeCode is the WebSocket close code e closes a socket with.
func (e *Error) closeCode() int {
	if e.close != 0 {
		return e.close
	}
	if a := refusalAnswers[e.Code]; a.close != 0 {
		return a.close
	}
	return CloseInvalidPayload
}

// wsClose is the close frame for e: its close code, "code: message".
func (e *Error) wsClose() *wsClose { return &wsClose{code: e.closeCode(), reason: e.Error()} }

// retryAfter is the Retry-After of e's HTTP answer: wait when given, else
// Config.RetryAfter; 0 for codes whose answers carry none.
func (in *Ingest) retryAfter(e *Error, wait time.Duration) time.Duration {
	switch {
	case !refusalAnswers[e.Code].retry:
		return 0
	case wait > 0:
		return wait
	}
	return in.cfg.RetryAfter
}

// refuseHTTP counts a refusal on transport tr and answers it (writeRefusal).
func (in *Ingest) refuseHTTP(w http.ResponseWriter, tr string, e *Error, wait time.Duration) {
	in.m.refusals.WithLabelValues(tr, string(e.Code)).Inc()
	writeRefusal(w, e, in.retryAfter(e, wait))
}
