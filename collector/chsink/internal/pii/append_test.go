package pii

import (
	"errors"
	"testing"

	"github.com/popinbridge/bridge/internal/site"
)

// AppendApply and AppendIP append exactly what Apply and IP return, and
// leave dst unchanged on error.
func TestAppendMatchesApply(t *testing.T) {
	inputs := []string{
		``, ` `, `{}`, `{"uid":"u-1"}`, "{ \"uid\": \"u-1\" }",
		`{"name":"Asha","email":"Asha@Example.com","mobile":"98765 43210","uid":"u"}`,
		`{"em\u0061il":"asha@example.com"}`, `{"MOBILE":9876543210}`, `{"properties":{"customer_name":"A"}}`,
		`{"email":`, `nope`,
	}
	policies := []site.PIIPolicy{site.PIIHash, site.PIIDrop, site.PIIRaw, ""}
	for _, in := range inputs {
		for _, p := range policies {
			want, wantErr := Apply([]byte(in), p, Region{Site: "IN"})
			got, err := AppendApply([]byte("prefix:"), []byte(in), p, Region{Site: "IN"}, nil)
			if !errors.Is(err, ErrInvalid) != (wantErr == nil) || (wantErr != nil) != (err != nil) {
				t.Errorf("AppendApply(%q, %s) err = %v, Apply err = %v", in, p, err, wantErr)
			}
			if wantErr != nil {
				want = ""
			}
			if string(got) != "prefix:"+want {
				t.Errorf("AppendApply(%q, %s) = %q, want %q", in, p, got, "prefix:"+want)
			}
		}
	}
	for _, ip := range []string{"", "203.0.113.77", "::ffff:203.0.113.77", "2001:db8:1234:5678::1", "bad"} {
		for _, p := range policies {
			if got, want := string(AppendIP([]byte("x"), ip, p)), "x"+IP(ip, p); got != want {
				t.Errorf("AppendIP(%q, %s) = %q, want %q", ip, p, got, want)
			}
		}
	}
}

// The pre-check never says "no PII" for a document that has a PII member
// name, whatever its case.
func TestMayContainPII(t *testing.T) {
	tests := []struct {
		in          string
		names, want bool
	}{
		{`{"uid":"u-1","screen":"home"}`, true, false},
		{`{"customer_EMAIL":"x"}`, false, true},
		{`{"E-Mail":"x"}`, false, true},
		{`{"Phone_Number":"1"}`, false, true},
		{`{"MOBILE":"1"}`, false, true},
		{`{"msisdn":"1"}`, false, true},
		{`{"first_NAME":"A"}`, true, true},
		{`{"first_NAME":"A"}`, false, false},
		{`{"a\u0062":"x"}`, false, true},
		{`{"m":"mai"}`, true, false},
	}
	for _, tt := range tests {
		if got := mayContainPII([]byte(tt.in), tt.names); got != tt.want {
			t.Errorf("mayContainPII(%s, names=%v) = %v, want %v", tt.in, tt.names, got, tt.want)
		}
	}
}
