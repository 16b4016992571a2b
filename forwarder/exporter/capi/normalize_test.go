package capi

import (
	"strings"
	"testing"
)

// TestHashesMatchMetaSDK compares our hashes of messy inputs with those of
// Meta's Node SDK v24.0.1. For phones written without a country code the
// SDK cannot know the country, so it is given the same number with the
// country code a person would add ("sdk" column).
func TestHashesMatchMetaSDK(t *testing.T) {
	type row struct {
		field, in, region, sdk string // sdk: SDK input when it differs from in
	}
	rows := []row{
		{"em", "John_Smith@gmail.com", "", ""},
		{"em", "  Asha.Rao@Example.COM ", "", ""},
		{"em", "\tUSER+tag@Sub.Example.co.in\n", "", ""},
		{"em", "MiXeD@CaSe.Org", "", ""},
		{"ph", "(650)555-1212", "US", "1 (650) 555-1212"},
		{"ph", "+1 (650) 555-1212", "", ""},
		{"ph", "+91 98765-43210", "", ""},
		{"ph", "0091 98765 43210", "IN", ""},
		{"ph", "+91-98765-43210", "IN", ""},
		{"ph", "98765 43210", "IN", "+91 98765 43210"},
		{"ph", "09876543210", "IN", "+91 9876543210"},
		{"ph", "+44 7911 123456", "", ""},
		{"ph", "07911 123456", "GB", "+44 7911 123456"},
		{"ph", "(+33) 6 12 34 56 78", "FR", ""},
		{"ph", "#+49 30-1234567;", "DE", ""},
		{"ph", "+971 50 123 4567", "", ""},
		{"ph", "+44 (0)20 7946 0958", "", "+44 20 7946 0958"},
		{"ph", "(+1) 650-253-0000", "", ""},
		{"ph", "0044 20 7946 0958", "US", ""},
		{"ph", "+1 650-253-0000 ext. 123", "", "+1 650-253-0000"},
		{"country", "US", "", ""},
		{"country", " in ", "", ""},
		{"country", "India", "", "in"},
		{"country", "+91", "", "in"},
		{"country", "United Kingdom", "", "gb"},
		{"country", "USA", "", "us"},
		{"ct", "New York", "", ""},
		{"ct", " SAN FRANCISCO ", "", ""},
		{"ct", "Bengaluru", "", ""},
		{"ct", "St. Louis", "", ""},
		{"ct", "São Paulo", "", ""},
		{"ct", "Winston-Salem", "", ""},
		{"zp", "94035-1234", "US", ""},
		{"zp", " 560 001 ", "IN", ""},
		{"zp", "M1 1AE", "GB", ""},
		{"zp", "10115", "DE", ""},
		{"st", "CA", "", ""},
		{"st", " Ny ", "", ""},
	}
	cases := make([]oracleCase, len(rows))
	for i, r := range rows {
		v := r.sdk
		if v == "" {
			v = r.in
		}
		cases[i] = oracleCase{Field: r.field, Value: v}
	}
	want := sdkHashes(t, cases)
	for i, r := range rows {
		var norm string
		switch r.field {
		case "em":
			norm = NormEmail(r.in)
		case "ph":
			norm = NormPhone(r.in, r.region)
		case "country":
			norm = NormCountry(r.in)
		case "ct":
			norm = NormCity(r.in)
		case "st":
			norm = NormState(r.in)
		case "zp":
			norm = NormZip(r.in, r.region)
		}
		if got := Hash(norm); got != want[i] {
			t.Errorf("%s %q (region %q): ours %q → %s, SDK(%q) → %s", r.field, r.in, r.region, norm, got, cases[i].Value, want[i])
		}
	}
}

// TestMetaDocumentedExamples checks names and other fields against the
// examples of Meta's customer-information-parameters page, where the SDK
// differs from the written rules (it keeps punctuation in names).
func TestMetaDocumentedExamples(t *testing.T) {
	for _, tc := range []struct {
		name, got, want string
	}{
		{"em", Hash(NormEmail("John_Smith@gmail.com")), "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"},
		{"ph", Hash(NormPhone("(650)555-1212", "US")), "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"},
		{"fn Mary", Hash(NormName("Mary")), "6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec"},
		{"fn  MARY. ", Hash(NormName(" MARY. ")), "6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec"},
		{"country us", Hash(NormCountry("US")), "79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621"},
		{"fn Valéry", NormName("Valéry"), "valéry"},
		{"ln O'Brien", NormName("O'Brien"), "obrien"},
		{"ln Mary-Jane", NormName("Mary-Jane"), "maryjane"},
		{"ct newyork", NormCity("New York"), "newyork"},
		{"zp us 9 digits", NormZip("940351234", "US"), "94035"},
		{"zp uk", NormZip("M1 1AE", "GB"), "m11ae"},
		{"st", NormState("CA"), "ca"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestNormRejects(t *testing.T) {
	for _, s := range []string{"", "not-an-email", "a@b", "a@@b.com", "a b@c.com", "@x.com", "x@.com", "x@y.com."} {
		if NormEmail(s) != "" {
			t.Errorf("NormEmail(%q) = %q, want empty", s, NormEmail(s))
		}
	}
	for _, s := range []string{"", "123", "abc", strings.Repeat("9", 30)} {
		if got := NormPhone(s, "IN"); got != "" {
			t.Errorf("NormPhone(%q) = %q, want empty", s, got)
		}
	}
	if NormCountry("Atlantis") != "" || NormZip("1", "") != "" {
		t.Error("bad country or zip accepted")
	}
	f, l := SplitName("  Asha Rani Sharma ")
	if f != "Asha" || l != "Sharma" {
		t.Errorf("SplitName: %q %q", f, l)
	}
}
