package ingest

import (
	"strings"
	"testing"
)

// TestScanHugeNumbers checks scanLimits' hint for checkNumbers: it may say
// yes for nothing, but never no for a number beyond a float64.
func TestScanHugeNumbers(t *testing.T) {
	long := "1" + strings.Repeat("0", maxNumberBytes)
	for raw, want := range map[string]bool{
		`{"batch":[{"data":{"a":1,"b":[1.5,-2],"c":"1e999","d":true,"e":false}}]}`: false,
		`{"batch":[{"data":{"a":1e999}}]}`:                                         true,
		`{"batch":[{"data":{"a":[2E400]}}]}`:                                       true,
		`{"batch":[{"data":{"a":1.e5}}]}`:                                          true,
		`{"batch":[{"data":{"a":` + long + `}}]}`:                                  true,
		`{"batch":[{"data":{"a":[` + long + `]}}]}`:                                true,
		`{"batch":[{"data":{"a":"` + long + `"}}]}`:                                false,
		long: true,
		`e`:  false,
	} {
		lim := defaultLimits()
		lim.MaxStringBytes = 1000
		_, got, err := scanLimits([]byte(raw), lim)
		if err != nil {
			t.Fatalf("%.40s: %v", raw, err)
		}
		if got != want {
			t.Errorf("%.60s: hugeNumbers %v, want %v", raw, got, want)
		}
	}
}

// TestClosingQuote compares closingQuote with the byte-by-byte loop it
// replaces.
func TestClosingQuote(t *testing.T) {
	ref := func(raw []byte, j int) int {
		for j < len(raw) {
			if raw[j] == '\\' {
				j += 2
				continue
			}
			if raw[j] == '"' {
				break
			}
			j++
		}
		return j
	}
	for _, s := range []string{`"abc"x`, `"a\"b"`, `"a\\"b"`, `"a\\\"b"`, `"\x\"q"`, `"abc`, `"ab\`, `"a\\`, `""`, `"\\\\"`, `"a\"`} {
		for j := 1; j <= len(s); j++ {
			if got, want := closingQuote([]byte(s), j), ref([]byte(s), j); got != want {
				t.Errorf("closingQuote(%s, %d) = %d, want %d", s, j, got, want)
			}
		}
	}
}
