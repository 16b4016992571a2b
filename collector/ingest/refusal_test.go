package ingest

import (
	"net/http/httptest"
	"testing"
	"time"
)

// errorBody is the refusal answer {"error":{"code","message"}} as tests read it.
type errorBody struct {
	Error struct {
		Code    Code   `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func TestRefusalAnswers(t *testing.T) {
	const cfgRetry = 7 * time.Second
	in := &Ingest{cfg: Config{RetryAfter: cfgRetry}}
	tests := []struct {
		name       string
		err        *Error
		wantStatus int
		wantClose  int
		// Retry-After without and with an explicit wait of 3s
		wantRetry, wantRetryWait time.Duration
	}{
		{"bad_key", refuse(CodeBadKey, "x"), 401, CloseInvalidPayload, 0, 0},
		{"origin", refuse(CodeOrigin, "x"), 403, CloseInvalidPayload, 0, 0},
		{"too_large", refuse(CodeTooLarge, "x"), 413, CloseTooBig, 0, 0},
		{"malformed", refuse(CodeMalformed, "x"), 400, CloseInvalidPayload, 0, 0},
		{"invalid_event", refuse(CodeInvalidEvent, "x"), 400, CloseInvalidPayload, 0, 0},
		{"rate_limited", refuse(CodeRateLimited, "x"), 429, CloseInvalidPayload, cfgRetry, 3 * time.Second},
		{"unavailable", refuse(CodeUnavailable, "x"), 503, CloseTryAgainLater, cfgRetry, 3 * time.Second},
		{"unknown code", refuse("nope", "x"), 500, CloseInvalidPayload, 0, 0},
		{"status override", refuse(CodeMalformed, "x").withStatus(415), 415, CloseInvalidPayload, 0, 0},
		{"bad_key as 403", refuse(CodeBadKey, "x").withStatus(403), 403, CloseInvalidPayload, 0, 0},
		{"close override", refuse(CodeMalformed, "x").withClose(CloseUnsupported), 400, CloseUnsupported, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.httpStatus(); got != tc.wantStatus {
				t.Errorf("httpStatus = %d, want %d", got, tc.wantStatus)
			}
			if got := tc.err.closeCode(); got != tc.wantClose {
				t.Errorf("closeCode = %d, want %d", got, tc.wantClose)
			}
			if c := tc.err.wsClose(); c.code != tc.wantClose || c.reason != string(tc.err.Code)+": x" {
				t.Errorf("wsClose = %+v", c)
			}
			if got := in.retryAfter(tc.err, 0); got != tc.wantRetry {
				t.Errorf("retryAfter(0) = %v, want %v", got, tc.wantRetry)
			}
			if got := in.retryAfter(tc.err, 3*time.Second); got != tc.wantRetryWait {
				t.Errorf("retryAfter(3s) = %v, want %v", got, tc.wantRetryWait)
			}
			rec := httptest.NewRecorder()
			writeRefusal(rec, tc.err, in.retryAfter(tc.err, 0))
			if rec.Code != tc.wantStatus {
				t.Errorf("writeRefusal status %d, want %d", rec.Code, tc.wantStatus)
			}
			wantHeader := ""
			if tc.wantRetry > 0 {
				wantHeader = "7"
			}
			if got := rec.Header().Get("Retry-After"); got != wantHeader {
				t.Errorf("Retry-After %q, want %q", got, wantHeader)
			}
		})
	}
	// every wire code has a row
	for _, c := range []Code{CodeBadKey, CodeOrigin, CodeTooLarge, CodeMalformed, CodeInvalidEvent, CodeRateLimited, CodeUnavailable} {
		if _, ok := refusalAnswers[c]; !ok {
			t.Errorf("no answer for %s", c)
		}
	}
}
