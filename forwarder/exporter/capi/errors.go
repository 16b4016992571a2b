package capi

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// GraphError is the error object of a Graph API response.
type GraphError struct {
	Message      string `json:"message"`
	Type         string `json:"type"`
	Code         int    `json:"code"`
	Subcode      int    `json:"error_subcode"`
	IsTransient  bool   `json:"is_transient"`
	UserTitle    string `json:"error_user_title"`
	UserMessage  string `json:"error_user_msg"`
	FBTraceID    string `json:"fbtrace_id"`
	HTTPStatus   int    `json:"-"`
	hasErrorBody bool
}

func (e *GraphError) Error() string {
	if !e.hasErrorBody {
		return fmt.Sprintf("graph api: HTTP %d", e.HTTPStatus)
	}
	s := fmt.Sprintf("graph api: HTTP %d code %d", e.HTTPStatus, e.Code)
	if e.Subcode != 0 {
		s += fmt.Sprintf(" subcode %d", e.Subcode)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.UserMessage != "" {
		s += " (" + e.UserMessage + ")"
	}
	return s
}

// ParseError reads a non-2xx Graph response body. It never fails: a body
// that is not Graph's error JSON gives a GraphError with only HTTPStatus.
func ParseError(status int, body []byte) *GraphError {
	var wrap struct {
		Error *GraphError `json:"error"`
	}
	if json.Unmarshal(body, &wrap) == nil && wrap.Error != nil {
		wrap.Error.HTTPStatus = status
		wrap.Error.hasErrorBody = true
		return wrap.Error
	}
	return &GraphError{HTTPStatus: status}
}

// Retryable classifies a Graph error once: codes 1, 2 (temporary), 4, 17,
// 341, 613 (throttling), is_transient, and HTTP 5xx, 408 and 429 are worth
// retrying; code 100 (invalid parameter), 190 (bad token) and every other
// 4xx are not.
func (e *GraphError) Retryable() bool {
	if e.hasErrorBody {
		switch e.Code {
		case 1, 2, 4, 17, 341, 613:
			return true
		case 100, 190:
			return false
		}
		if e.IsTransient {
			return true
		}
	}
	switch {
	case e.HTTPStatus >= 500, e.HTTPStatus == http.StatusRequestTimeout, e.HTTPStatus == http.StatusTooManyRequests:
		return true
	}
	return false
}
