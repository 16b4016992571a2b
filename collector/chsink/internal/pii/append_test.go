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

// The IPv4 shortcut stores what parsing the address stores.
func TestAppendIPShortcut(t *testing.T) {
	for _, ip := range ipSeeds {
		sameIP(t, ip)
	}
	if _, ok := canonicalIPv4("203.0.113.77"); !ok {
		t.Error("a canonical address did not take the shortcut")
	}
}

var ipSeeds = []string{"203.0.113.77", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4",
	"1..2.3", "1.2.3.", ".1.2.3", "1.2.3.4%eth0", "::ffff:1.2.3.4", "2001:db8::1", "1.2.3.255", "1.2.3.299", "10.0.0.1 ", ""}

func sameIP(t *testing.T, ip string) {
	t.Helper()
	for _, p := range []site.PIIPolicy{site.PIIHash, site.PIIRaw, site.PIIDrop, ""} {
		got := string(AppendIP([]byte("x"), ip, p))
		want := "x"
		if ip != "" && p != site.PIIDrop {
			want = string(appendIPParsed([]byte("x"), ip, p))
		}
		if got != want {
			t.Fatalf("AppendIP(%q, %s) = %q, parsed %q", ip, p, got, want)
		}
	}
}

func FuzzAppendIP(f *testing.F) {
	for _, ip := range ipSeeds {
		f.Add(ip)
	}
	f.Fuzz(sameIP)
}
