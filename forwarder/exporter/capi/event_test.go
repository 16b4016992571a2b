package capi

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/event"
)

func TestBuild(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name   string
		data   string
		region string
		wantPh string
		wantCo string
	}{
		{"browser name country", `{"name":"Asha Rani Sharma","email":" Asha@Example.com ","mobile":"98765 43210","country":"India","city":"Bengaluru","pin_code":"560 001"}`, "", "919876543210", "in"},
		{"browser dial code", `{"name":"Asha","email":"asha@example.com","mobile":"09876543210","country":"+91"}`, "", "919876543210", "in"},
		{"browser default region", `{"name":"Asha","mobile":"9876543210"}`, "IN", "919876543210", ""},
		{"server webhook", `{"email":"x@y.com","country_code":"+91","phone_number":"9792521396","properties":{"customer_name":"Ravi K"}}`, "", "919792521396", "in"},
		{"server full", `{"full_phone_number":"+919792521396","properties":{"customer_email":"x@y.com"}}`, "", "919792521396", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := &event.Event{ID: "e1", Name: "popin_captured", AnonID: "a-1", UID: "U-1", ClientTime: now, ReceivedAt: now,
				Data: json.RawMessage(tc.data), Context: event.Context{URL: "https://acme.com/p", IP: "203.0.113.5", UserAgent: "UA", FBP: "fb.1.1.2", FBC: "fb.1.1.AbC"}}
			se := Build(ev, "Lead", tc.region)
			if se.EventID != "e1" || se.ActionSource != "website" || se.EventSourceURL != "https://acme.com/p" || se.EventTime != now.Unix() {
				t.Errorf("fields: %+v", se)
			}
			u := se.UserData
			if len(u.Ph) != 1 || u.Ph[0] != Hash(tc.wantPh) {
				t.Errorf("ph %v want hash(%s)", u.Ph, tc.wantPh)
			}
			if tc.wantCo != "" && (len(u.Country) != 1 || u.Country[0] != Hash(tc.wantCo)) {
				t.Errorf("country %v want hash(%s)", u.Country, tc.wantCo)
			}
			if u.FBC != "fb.1.1.AbC" || u.ClientIPAddress != "203.0.113.5" || u.ClientUserAgent != "UA" {
				t.Errorf("client fields: %+v", u)
			}
			if len(u.ExternalID) != 2 || u.ExternalID[1] != Hash("u-1") {
				t.Errorf("external_id %v", u.ExternalID)
			}
			b, _ := json.Marshal(se)
			for _, raw := range []string{"@", "9876", "9792", "Asha", "asha", "Ravi", "ravi", "Bengaluru"} {
				if strings.Contains(string(b), raw) {
					t.Errorf("raw %q leaked: %s", raw, b)
				}
			}
		})
	}
}

func TestTooOld(t *testing.T) {
	now := time.Now()
	old := &event.Event{ClientTime: now.Add(-8 * 24 * time.Hour), ReceivedAt: now.Add(-8 * 24 * time.Hour)}
	fresh := &event.Event{ClientTime: now.Add(-time.Hour), ReceivedAt: now}
	skewed := &event.Event{ClientTime: now.Add(24 * time.Hour), ReceivedAt: now.Add(-time.Minute)}
	if !TooOld(old, now) || TooOld(fresh, now) || TooOld(skewed, now) {
		t.Error("TooOld")
	}
	if EventTime(skewed) != skewed.ReceivedAt {
		t.Error("future client time not replaced")
	}
}

func TestGraphErrorRetryable(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		retry  bool
	}{
		{400, `{"error":{"message":"Invalid parameter","type":"OAuthException","code":100,"error_subcode":2804003}}`, false},
		{400, `{"error":{"code":190,"message":"token expired"}}`, false},
		{400, `{"error":{"code":17,"error_subcode":2446079,"is_transient":true}}`, true},
		{400, `{"error":{"code":613,"error_subcode":1487742}}`, true},
		{400, `{"error":{"code":4}}`, true},
		{400, `{"error":{"code":341}}`, true},
		{500, `{"error":{"code":1,"message":"unknown"}}`, true},
		{503, `{"error":{"code":2}}`, true},
		{400, `{"error":{"code":9999,"is_transient":true}}`, true},
		{403, `{"error":{"code":200,"message":"permissions"}}`, false},
		{502, `<html>bad gateway</html>`, true},
		{429, ``, true},
		{404, `nope`, false},
	} {
		e := ParseError(tc.status, []byte(tc.body))
		if e.Retryable() != tc.retry {
			t.Errorf("%d %s: retryable=%v want %v (%v)", tc.status, tc.body, e.Retryable(), tc.retry, e)
		}
	}
}
