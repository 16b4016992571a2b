package site

import (
	"strings"
	"testing"
)

func TestAllowsOrigin(t *testing.T) {
	s := &Site{Origins: []string{"https://www.acme.com", "https://*.acme.com", "http://localhost:8080"}}
	for _, tc := range []struct {
		origin string
		want   bool
	}{
		{"https://www.acme.com", true},
		{"HTTPS://WWW.ACME.COM", true},
		{"https://shop.acme.com", true},
		{"https://a.b.acme.com", true},
		{"http://localhost:8080", true},
		{"https://acme.com", false},    // the apex is not a subdomain
		{"https://.acme.com", false},   // empty label
		{"https://a..acme.com", false}, // empty label
		{"https://-a.acme.com", false}, // label starting with '-'
		{"https://evil.com/.acme.com", false},
		{"https://evilacme.com", false},
		{"http://shop.acme.com", false}, // scheme differs
		{"https://shop.acme.com.evil.com", false},
		{"https://a b.acme.com", false},
		{"", false},
	} {
		if got := s.AllowsOrigin(tc.origin); got != tc.want {
			t.Errorf("AllowsOrigin(%q) = %v, want %v", tc.origin, got, tc.want)
		}
	}
	if !(&Site{Origins: []string{"*"}}).AllowsOrigin("https://anything.example") {
		t.Error("* allows every origin")
	}
}

func TestConsentMode(t *testing.T) {
	s := Site{ID: "acme", WriteKey: "pk"}
	s.ApplyDefaults()
	if s.ConsentMode != "opt_out" {
		t.Fatalf("default consent_mode %q, want opt_out", s.ConsentMode)
	}
	s.ConsentMode = "opt_maybe"
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "consent_mode") {
		t.Fatalf("Validate = %v, want an error naming consent_mode", err)
	}
	s.ConsentMode = "opt_in"
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}
