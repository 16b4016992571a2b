package ingest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
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
// offending limit or field.
type Error struct {
	Code Code
	Msg  string
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

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// writeRefusal answers a whole-request refusal as
// {"error":{"code","message"}}, with Retry-After when retryAfter > 0.
func writeRefusal(w http.ResponseWriter, status int, e *Error, retryAfter time.Duration) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(retryAfter)))
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // cannot happen with our types
		b = []byte(`{"error":{"code":"unavailable","message":"encoding response"}}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func retryAfterSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}
