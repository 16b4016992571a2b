package tiktok

import (
	"encoding/json"
	"fmt"
)

// APIError is an Events API answer whose code is not 0. TikTok answers
// HTTP 200 with {"code", "message", "request_id"} for most failures, so
// the status alone does not tell delivery.
type APIError struct {
	Code      int    `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("tiktok events api: code %d", e.Code)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Retryable classifies a code once: 40100 (too many requests) and 5xxxx
// (TikTok's server errors) are worth retrying; every other code (40001 no
// permission, 40002 invalid parameters, 40105 bad access token, …) is not.
func (e *APIError) Retryable() bool { return e.Code == 40100 || e.Code >= 50000 }

// ParseAnswer reads a 2xx answer: nil when code is 0 or the body is not the
// API's JSON (nothing says it failed), the error otherwise.
func ParseAnswer(body []byte) *APIError {
	var a struct {
		Code *int `json:"code"`
		APIError
	}
	if json.Unmarshal(body, &a) != nil || a.Code == nil || *a.Code == 0 {
		return nil
	}
	a.APIError.Code = *a.Code
	return &a.APIError
}
