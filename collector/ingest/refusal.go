package ingest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/popinbridge/bridge/internal/httpjson"
)

// Code names why something was refused. Codes are part of the wire protocol.
type Code string

// Refusal codes (CONTRACT §5).
const (
	CodeBadKey       Code = "bad_key"
	CodeOrigin       Code = "origin"
	CodeTooLarge     Code = "too_large"
	CodeMalformed    Code = "malformed"
	CodeInvalidEvent Code = "invalid_event"
	CodeRateLimited  Code = "rate_limited"
	CodeUnavailable  Code = "unavailable"
)

// Error is a refusal of a whole frame or request. Its message names the
// offending limit or field. It is answered as its Code says (refusalAnswers)
// unless built with withStatus or withClose.
type Error struct {
	Code Code
	Msg  string

	status int // HTTP status instead of the code's; 0: the code's
	close  int // WebSocket close code instead of the code's; 0: the code's
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Msg }

func refuse(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Reject is one event that will never be accepted as sent.
type Reject struct {
	ID    string `json:"id"`
	Code  Code   `json:"code"`
	Error string `json:"error"`
}

// writeRefusal answers a whole-request refusal with its status
// (e.httpStatus) and {"error":{"code","message"}}, with Retry-After when
// retryAfter > 0.
func writeRefusal(w http.ResponseWriter, e *Error, retryAfter time.Duration) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(retryAfter)))
	}
	writeJSON(w, e.httpStatus(), httpjson.Err(string(e.Code), e.Msg))
}

// writeJSON escapes '<', '>' and '&' as the WebSocket frames (json.Marshal)
// do, so both transports answer the same bytes.
func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.WriteJSONEscaped(w, status, v) }

func retryAfterSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}
