package country

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" = not ok
	}{
		// alpha-2 and alpha-3
		{"IN", "IN"}, {"in", "IN"}, {" us ", "US"}, {"Gb", "GB"}, {"UK", "GB"}, {"uk", "GB"},
		{"XK", "XK"}, {"BU", "MM"}, {"IND", "IN"}, {"usa", "US"}, {"DEU", "DE"},
		{"EU", ""}, {"ZZ", ""}, {"QO", ""}, {"UN", ""}, {"XX", ""}, {"ZZZ", ""},
		// English names
		{"India", "IN"}, {"india", "IN"}, {"INDIA", "IN"}, {"united states", "US"}, {"United States of America", "US"},
		{"United Kingdom", "GB"}, {"Great Britain", "GB"}, {"England", "GB"},
		{"Germany", "DE"}, {"UAE", "AE"}, {"United Arab Emirates", "AE"}, {"Russia", "RU"},
		{"South Korea", "KR"}, {"Czechia", "CZ"}, {"Czech Republic", "CZ"},
		{"Côte d’Ivoire", "CI"}, {"Cote d'Ivoire", "CI"}, {"cote divoire", "CI"}, {"Ivory Coast", "CI"},
		{"Myanmar (Burma)", "MM"}, {"Myanmar", "MM"}, {"Burma", "MM"},
		{"Antigua & Barbuda", "AG"}, {"Antigua and Barbuda", "AG"},
		{"St. Lucia", "LC"}, {"Saint Lucia", "LC"}, {"st lucia", "LC"},
		{"Congo - Kinshasa", "CD"}, {"Congo-Brazzaville", "CG"},
		{"Hong Kong", "HK"}, {"Hong Kong SAR China", "HK"}, {"Réunion", "RE"}, {"Reunion", "RE"},
		{"São Tomé & Príncipe", "ST"}, {"The Netherlands", "NL"}, {"Netherlands", "NL"}, {"Holland", "NL"},
		{"Turkey", "TR"}, {"Türkiye", "TR"}, {"Singapore", "SG"}, {"Sri Lanka", "LK"}, {"Nepal", "NP"},
		{"Atlantis", ""}, {"European Union", ""}, {"Unknown Region", ""}, {"world", ""},
		// dialling codes
		{"+91", "IN"}, {"91", "IN"}, {"0091", "IN"}, {"+ 91", "IN"}, {"+1", "US"}, {"1", "US"},
		{"+7", "RU"}, {"+44", "GB"}, {"+971", "AE"}, {"+65", "SG"}, {"+1-684", "US"}, {"+91 9876543210", "IN"},
		{"+800", ""}, {"+999", ""}, {"+0", ""}, {"+", ""}, {"+9999", ""}, {"91x", ""}, {"+91abc", ""},
		{"99999999999999999999999999", ""},
		// rubbish
		{"", ""}, {"   ", ""}, {"I", ""}, {"i n", ""}, {"\x00\xff", ""}, {strings.Repeat("India", 100), ""},
	}
	for _, tt := range tests {
		got, ok := Normalize(tt.in)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestEveryValidCodeHasAName(t *testing.T) {
	tb := load()
	if len(tb.valid) < 240 {
		t.Fatalf("only %d valid codes", len(tb.valid))
	}
	for _, code := range tb.names {
		if !tb.valid[code] {
			t.Errorf("name maps to invalid code %q", code)
		}
	}
	for code := range tb.valid {
		if got, ok := Normalize(code); !ok || got != code {
			t.Errorf("Normalize(%q) = %q, %v", code, got, ok)
		}
	}
}
