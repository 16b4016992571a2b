package retry

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestFromStatus(t *testing.T) {
	now := time.Now()
	for code, want := range map[int]string{200: "ok", 204: "ok", 301: "perm", 302: "perm", 400: "perm", 401: "perm", 404: "perm", 410: "perm",
		408: "retry", 425: "retry", 429: "retry", 500: "retry", 502: "retry", 503: "retry", 504: "retry", 599: "retry"} {
		err := FromStatus(code, http.Header{}, now)
		got := "retry"
		if err == nil {
			got = "ok"
		} else if IsPermanent(err) {
			got = "perm"
		}
		if got != want {
			t.Errorf("%d: %s want %s", code, got, want)
		}
	}
	err := FromStatus(429, http.Header{"Retry-After": {"7"}}, now)
	var se *StatusError
	if !errors.As(err, &se) || se.RetryAfter != 7*time.Second {
		t.Errorf("retry-after: %v", err)
	}
	if !IsPermanent(fmt.Errorf("wrapped: %w", Permanent(errors.New("x")))) || IsPermanent(errors.New("x")) || Permanent(nil) != nil {
		t.Error("Permanent")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"": 0, "0": 0, "-5": 0, "120": 2 * time.Minute, "abc": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		if got := ParseRetryAfter(v, now); got != want {
			t.Errorf("%q: %v want %v", v, got, want)
		}
	}
}

func TestScheduleNext(t *testing.T) {
	s := Schedule{Delays: []time.Duration{time.Second, 10 * time.Second}, Jitter: 0.1, MaxRetryAfter: time.Minute}
	for i := 0; i < 100; i++ {
		d, ok := s.Next(1, 0)
		if !ok || d < 900*time.Millisecond || d > 1100*time.Millisecond {
			t.Fatalf("attempt 1: %v %v", d, ok)
		}
	}
	if _, ok := s.Next(3, 0); ok {
		t.Error("schedule not exhausted after 3 attempts")
	}
	if d, _ := s.Next(1, 30*time.Second); d != 30*time.Second {
		t.Errorf("retry-after not honoured: %v", d)
	}
	if d, _ := s.Next(1, time.Hour); d != time.Minute {
		t.Errorf("retry-after not clamped: %v", d)
	}
	if d, _ := s.Next(2, 100*time.Millisecond); d < 9*time.Second {
		t.Errorf("retry-after shortened the schedule: %v", d)
	}
}
