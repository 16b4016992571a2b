package pii

import (
	"errors"
	"strings"
	"testing"

	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/site"
)

func TestApply(t *testing.T) {
	email := piinorm.Hash("asha@example.com")
	phoneIN := piinorm.Hash("919876543210")
	phoneGB := piinorm.Hash("442079460958")
	tests := []struct {
		name   string
		policy site.PIIPolicy
		region string // the site's default_phone_region
		in     string
		want   string
	}{
		{"hash captured", site.PIIHash, "IN",
			`{"name":"Asha","email":" Asha@Example.com ","mobile":"98765 43210","country":"IN","uid":"u-1"}`,
			`{"name":"Asha","email":"` + email + `","mobile":"` + phoneIN + `","country":"IN","uid":"u-1"}`},
		{"hash nested webhook", site.PIIHash, "",
			`{"email":null,"country_code":"+91","phone_number":"","full_phone_number":"+919876543210","properties":{"customer_email":"asha@example.com","customer_name":"Asha"}}`,
			`{"email":null,"country_code":"+91","phone_number":"","full_phone_number":"` + phoneIN + `","properties":{"customer_email":"` + email + `","customer_name":"Asha"}}`},
		{"hash numeric phone", site.PIIHash, "IN", `{"mobile":9876543210}`, `{"mobile":"` + phoneIN + `"}`},
		{"payload country before site region", site.PIIHash, "IN",
			`{"mobile":"020 7946 0958","country":"GB"}`, `{"mobile":"` + phoneGB + `","country":"GB"}`},
		{"country_code before payload country", site.PIIHash, "",
			`{"properties":{"customer_phone_number":"020 7946 0958","customer_country_code":"+44"},"country":"IN"}`,
			`{"properties":{"customer_phone_number":"` + phoneGB + `","customer_country_code":"+44"},"country":"IN"}`},
		{"trunk 0 after country code", site.PIIHash, "", `{"mobile":"+44 (0)20 7946 0958"}`, `{"mobile":"` + phoneGB + `"}`},
		{"implausible values stored empty", site.PIIHash, "IN", `{"mobile":"123","email":"asha at example"}`, `{"mobile":"","email":""}`},
		{"hash no pii fast path compacts", site.PIIHash, "", "{ \"uid\": \"u-1\",\n \"screen\": \"home page\" }", `{"uid":"u-1","screen":"home page"}`},
		{"hash escaped key", site.PIIHash, "", `{"em\u0061il":"asha@example.com"}`, `{"email":"` + email + `"}`},
		{"hash dotted capital I key", site.PIIHash, "", `{"EMAİL":"asha@example.com"}`, `{"EMAİL":"` + email + `"}`},
		{"unknown policy hashes", site.PIIPolicy(""), "", `{"email":"asha@example.com"}`, `{"email":"` + email + `"}`},
		{"drop", site.PIIDrop, "",
			`{"name":"Asha","email":"a@b.c","mobile":"1","captured":{"name":"A","mobile":"2"},"city":"Pune","uid":"u"}`,
			`{"captured":{},"city":"Pune","uid":"u"}`},
		{"raw", site.PIIRaw, "", `{"name":"Asha", "email":"asha@example.com"}`, `{"name":"Asha","email":"asha@example.com"}`},
		{"empty", site.PIIHash, "", ``, `{}`},
		{"array of objects", site.PIIHash, "", `[{"email":"asha@example.com"},1,"x"]`, `[{"email":"` + email + `"},1,"x"]`},
		{"numbers kept exactly", site.PIIHash, "", `{"email":"","big":12345678901234567890,"f":1.50}`, `{"email":"","big":12345678901234567890,"f":1.50}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Apply([]byte(tt.in), tt.policy, Region{Site: tt.region})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Apply(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			if tt.policy != site.PIIRaw && (strings.Contains(got, "asha@example.com") || strings.Contains(got, "9876543210")) {
				t.Errorf("raw PII left in %s", got)
			}
		})
	}
}

func TestApplyInvalid(t *testing.T) {
	for _, in := range []string{`{"email":`, `{"a":1`, `nope`, `{"uid":"x"`} {
		for _, p := range []site.PIIPolicy{site.PIIHash, site.PIIDrop, site.PIIRaw} {
			if _, err := Apply([]byte(in), p, Region{}); !errors.Is(err, ErrInvalid) {
				t.Errorf("Apply(%q, %s) err = %v, want ErrInvalid", in, p, err)
			}
		}
	}
}

func TestClassify(t *testing.T) {
	tests := map[string]Kind{
		"email": Email, "customer_email": Email, "agentEmail": Email, "E-Mail": Email,
		"mobile": Phone, "phone": Phone, "phone_number": Phone, "full_phone_number": Phone, "customer_phone_number": Phone,
		"country_code": None, "customer_country_code": None, "phone_country_code": None,
		"name": Name, "customer_name": Name, "first_name": Name,
		"uid": None, "screen": None, "product_name": None, "emailed": None,
		"Customer Name": Name, "PHONE-NUMBER": Phone, "": None, "Kundé_EMAIL": Email,
		"a_very_long_member_name_that_is_longer_than_sixty_four_bytes_email": Email,
	}
	for k, want := range tests {
		if got := Classify(k); got != want {
			t.Errorf("Classify(%q) = %d, want %d", k, got, want)
		}
	}
}

func TestIP(t *testing.T) {
	tests := []struct {
		ip     string
		policy site.PIIPolicy
		want   string
	}{
		{"203.0.113.77", site.PIIHash, "203.0.113.0"},
		{"::ffff:203.0.113.77", site.PIIHash, "203.0.113.0"},
		{"2001:db8:1234:5678::1", site.PIIHash, "2001:db8:1234::"},
		{"203.0.113.77", site.PIIRaw, "203.0.113.77"},
		{"203.0.113.77", site.PIIDrop, ""},
		{"not an ip", site.PIIHash, ""},
	}
	for _, tt := range tests {
		if got := IP(tt.ip, tt.policy); got != tt.want {
			t.Errorf("IP(%q, %s) = %q, want %q", tt.ip, tt.policy, got, tt.want)
		}
	}
}

func TestAppendAnonymous(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, `{}`},
		{`{"uid":"u-1","name":"Asha","email":"a@b.co","mobile":"98765","screen":"home"}`, `{"screen":"home"}`},
		{`{"User-Id":"x","session id":"s","nested":{"aid":"a","ip":"1.2.3.4","rating":5},"items":[{"customer_email":"e","sku":"k"}]}`,
			`{"nested":{"rating":5},"items":[{"sku":"k"}]}`},
		{`{"screen":"home"}`, `{"screen":"home"}`},
	} {
		got, err := AppendAnonymous(nil, []byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("AppendAnonymous(%s) = %s (%v), want %s", tc.in, got, err, tc.want)
		}
	}
	if _, err := AppendAnonymous(nil, []byte(`{"uid":`)); err == nil {
		t.Error("invalid JSON: no error")
	}
}
