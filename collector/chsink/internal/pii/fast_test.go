package pii

import (
	"bytes"
	"strings"
	"testing"

	"github.com/popinbridge/bridge/internal/site"
)

// fuzzSeal is a sealer whose output needs quoting: quotes, a line
// separator and invalid UTF-8.
func fuzzSeal(s string) string { return "<\"" + s + "\xff\u2028\\>" }

var (
	fastPolicies = []site.PIIPolicy{site.PIIHash, site.PIIDrop, site.PIIRaw, site.PIIEncrypt, ""}
	fastNames    = []string{"", site.PIINamesKeep, site.PIINamesHash, site.PIINamesDrop}
)

// samePaths reports a difference between the fast path (the exported
// functions) and the plain one for data under every policy, pii_names and
// sealer, and under the anonymous policy.
func samePaths(t *testing.T, data []byte, region Region) {
	t.Helper()
	check := func(what string, got []byte, gotErr error, want []byte, wantErr error) {
		t.Helper()
		if (gotErr != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("%s of %q:\nfast  %q (%v)\nplain %q (%v)", what, data, got, gotErr, want, wantErr)
		}
	}
	for _, p := range fastPolicies {
		for _, n := range fastNames {
			for _, seal := range []Sealer{nil, fuzzSeal} {
				got, gotErr := AppendApplyNames([]byte("x"), data, p, n, region, seal)
				want, wantErr := appendApplyPlain([]byte("x"), data, p, n, region, seal)
				check(string(p)+"/"+n, got, gotErr, want, wantErr)
			}
		}
	}
	got, gotErr := AppendAnonymous([]byte("x"), data)
	want, wantErr := appendAnonymousPlain([]byte("x"), data)
	check("anonymous", got, gotErr, want, wantErr)
}

var fastSeeds = []string{
	`{"name":"Visitor 5","email":"Visitor5@Example.com","country":"IN","mobile":"98765 00005","city":"Pune","pin_code":"411001","uid":"u-5"}`,
	`{"email":null,"country_code":"+91","phone_number":"","full_phone_number":"+919876543210","properties":{"customer_email":"asha@example.com","customer_name":"Asha","customer_country_code":"+44"}}`,
	`{"properties":{"customer_phone_number":"020 7946 0958","customer_country_code":"+44"},"country":"IN"}`,
	`{"properties":{"country":"GB"},"properties":{"country":" "},"country":"","mobile":"020 7946 0958"}`,
	`{"country":"FR","country":"  ","mobile":9876543210,"phone":-1.5e3,"x":[{"email":"a@b.co","name":"Ő ß"}]}`,
	` { "uid" : "u-1" , "screen" : [ 1 , true , null , false , -0 , 0.5E+2 ] } `,
	`{"User-Id":"x","session id":"s","nested":{"aid":"a","ip":"1.2.3.4","rating":5},"items":[{"customer_email":"e","sku":"k"}]}`,
	`{"İp":"x","anonymouſ_id":"y","a_very_long_member_name_email":"z@y.co","K":"Kelvin"}`,
	`{"mobile":{"phone":"98765 43210","country":"GB"},"phone":[1,"2",{}],"name":{"first_name":"Jo"}}`,
	`{"em\u0061il":"asha@example.com"}`, `{"a":"\u2028","b":"` + "\u2028<>&\x7f" + `"}`, `{"a":"` + "\xff" + `"}`,
	`{"email":"a@b.co"}{"email":"c@d.co"}`, `{"email":"a@b.co"} x`, `[{"email":"a@b.co"},1,"x"]`, `"email"`, `12`, `nul`,
	`{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":1e}`, `{"a":tru}`, `{"a":1,}`, `{,}`, `{"a"}`, `[1,]`, `{"email":`, "\u00a0", ``, ` `,
	`{"a":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`, "{\"a\":\"\t\"}", `{"name":"Valéry O'Brien","first_name":""}`,
}

// The fast path gives what the plain path gives, byte for byte, and
// fails exactly when the plain path does.
func TestFastMatchesPlain(t *testing.T) {
	for _, s := range fastSeeds {
		for _, r := range []Region{{}, {Seen: "GB", Site: "IN"}, {Site: "US"}} {
			samePaths(t, []byte(s), r)
		}
	}
}

// The fast path takes the payloads browsers and Popin send (positive
// control for the comparison above), and leaves to the plain path what it
// cannot copy as is.
func TestFastTakes(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{fastSeeds[0], true}, {fastSeeds[1], true}, {fastSeeds[4], true}, {fastSeeds[5], true}, {fastSeeds[7], true},
		{`{"uid":"u-1"}`, true}, {`{"name":"Valéry"}`, true}, {`[]`, true},
		{`{"em\u0061il":"x"}`, false}, {`{"a":"` + "\xff" + `"}`, false}, {`{"a":1}{"b":2}`, false},
		{`{"a":1`, false}, {``, false}, {`{"a":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`, false},
	}
	for _, tt := range tests {
		st := new(state)
		_, ok := st.fast(nil, []byte(tt.in), site.PIIHash, Region{Site: "IN"}, nil, true)
		if ok != tt.want {
			t.Errorf("fast(%q) took it: %v, want %v", tt.in, ok, tt.want)
		}
	}
}

// Identifier answers as its definition: the lower-case name, '-' and ' '
// read as '_', is one of the listed.
func TestIdentifier(t *testing.T) {
	for _, k := range []string{"uid", "UID", "User-Id", "session id", "anonymous_id", "ANONYMOUS-ID", "ip", "İp", "IP_Address",
		"fbclid", "u", "", "screen", "anonymous_idx", "xuid", "a_very_long_name_İ", "İİİİİİİİİİİİİp"} {
		want := identifierSlow(k)
		if got := Identifier(k); got != want {
			t.Errorf("Identifier(%q) = %v, want %v", k, got, want)
		}
	}
	if !Identifier("İp") || Identifier("screen") {
		t.Error("positive or negative control failed")
	}
}

func FuzzFastMatchesPlain(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add(s, "GB", "IN")
	}
	f.Fuzz(func(t *testing.T, data, seen, siteRegion string) {
		samePaths(t, []byte(data), Region{Seen: seen, Site: siteRegion})
	})
}
