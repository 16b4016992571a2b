package pii

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestFoldsToASCIIIsComplete: every rune that Classify's lower-casing turns
// into an ASCII letter makes mayContainPII answer true, so no member name
// Classify calls personal data passes the pre-check unseen.
func TestFoldsToASCIIIsComplete(t *testing.T) {
	found := 0
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) || !strings.ContainsAny(strings.ToLower(string(r)), "abcdefghijklmnopqrstuvwxyz") {
			continue
		}
		found++
		if !foldsToASCIIAt([]byte(string(r)), 0) || !mayContainPII([]byte(`{"x`+string(r)+`":1}`), false) {
			t.Errorf("%U lower-cases to %q but passes the pre-check", r, strings.ToLower(string(r)))
		}
	}
	if found == 0 {
		t.Fatal("no rune lower-cases to ASCII: the test checks nothing")
	}
	if mayContainPII([]byte(`{"city":"İstanbul","uid":"u"}`), false) != true {
		t.Error("the pre-check must look at İ wherever it stands")
	}
	if mayContainPII([]byte(`{"city":"Pune","uid":"u"}`), true) {
		t.Error("control: a payload without personal member names passes")
	}
}
