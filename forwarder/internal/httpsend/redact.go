package httpsend

import (
	"net/http"
	"strings"
)

// RedactHeaders copies h for the delivery log, lower-case names, without
// credentials (see LogValue).
func RedactHeaders(h http.Header, secretHeaders ...string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		lk := strings.ToLower(k)
		out[lk] = LogValue(lk, strings.Join(v, ", "), secretHeaders...)
	}
	return out
}

// LogValue is the logged value of header lk (lower case): "REDACTED" for
// credentials (authorization, x-api-key, cookie and secretHeaders).
func LogValue(lk, val string, secretHeaders ...string) string {
	if lk == "authorization" || lk == "x-api-key" || lk == "cookie" {
		return "REDACTED"
	}
	for _, s := range secretHeaders {
		if strings.EqualFold(s, lk) {
			return "REDACTED"
		}
	}
	return val
}
