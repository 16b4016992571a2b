// Package httpjson writes the JSON answers of bridge's HTTP APIs and their
// one error form, {"error":{"code":...,"message":...}}.
package httpjson

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// Error is the inside of an error answer. Code is machine-readable and part
// of the API; Field names the offending input when there is one.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// ErrorBody is an error answer: {"error":{...}}.
type ErrorBody struct {
	Error Error `json:"error"`
}

// Err builds the error answer for code and message.
func Err(code, message string) ErrorBody {
	return ErrorBody{Error: Error{Code: code, Message: message}}
}

// encodingFailed answers a value that cannot be encoded; with bridge's own
// types that does not happen.
var encodingFailed = []byte(`{"error":{"code":"unavailable","message":"encoding response"}}` + "\n")

// WriteJSON answers status with v encoded as JSON and a newline. '<', '>' and
// '&' are written as they are. The answer is Content-Type application/json,
// Cache-Control no-store and X-Content-Type-Options nosniff. v is encoded
// before anything is written, so a value that cannot be encoded gives a
// clean 500 instead of a torn body.
func WriteJSON(w http.ResponseWriter, status int, v any) { write(w, status, v, false) }

// WriteJSONEscaped is WriteJSON with '<', '>' and '&' escaped as \u003c,
// \u003e and \u0026, the bytes encoding/json.Marshal gives.
func WriteJSONEscaped(w http.ResponseWriter, status int, v any) { write(w, status, v, true) }

// WriteError answers status with Err(code, message), as WriteJSON does.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	WriteJSON(w, status, Err(code, message))
}

func write(w http.ResponseWriter, status int, v any, escapeHTML bool) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	b := encodingFailed
	if err := enc.Encode(v); err == nil {
		b = buf.Bytes()
	} else {
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
