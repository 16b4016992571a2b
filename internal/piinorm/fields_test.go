package piinorm

import "testing"

func TestFields(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"email trimmed, lower-cased", Email("  Asha.Rao@Example.COM "), "asha.rao@example.com"},
		{"email without @", Email("not-an-email"), ""},
		{"email without dot", Email("a@b"), ""},
		{"email two @", Email("a@@b.com"), ""},
		{"email with space", Email("a b@c.com"), ""},
		{"email no local part", Email("@x.com"), ""},
		{"email domain dot first", Email("x@.com"), ""},
		{"email domain dot last", Email("x@y.com."), ""},
		{"name punctuation", Name(" O'Brien. "), "obrien"},
		{"name accents", Name("Valéry"), "valéry"},
		{"city spaces", City("New York"), "newyork"},
		{"state", State(" Ny "), "ny"},
		{"zip US 9 digits", Zip("94035-1234", "US"), "94035"},
		{"zip GB", Zip("M1 1AE", "GB"), "m11ae"},
		{"zip too short", Zip("1", ""), ""},
		{"country name", Country("India"), "in"},
		{"country dial code", Country("+91"), "in"},
		{"country unknown", Country("Atlantis"), ""},
		{"external id", ExternalID(" U-1 "), "u-1"},
		{"hash", Hash("in"), "582967534d0f909d196b97f9e6921342777aea87b46fa52df165389db1fb8ccf"},
		{"hash of nothing", Hash(""), ""},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if f, l := SplitName("  Asha Rani Sharma "); f != "Asha" || l != "Sharma" {
		t.Errorf("SplitName: %q %q", f, l)
	}
}
