package consent

import (
	"encoding/base64"
	"errors"
	"maps"
	"strings"
	"testing"
)

// tcString builds a TC string core segment bit by bit, as the TCF v2
// spec lays it out: version in bits 0..5, purpose n consented at bit
// 152+n-1, the other fields left at the given filler bit (all 0 or all 1),
// 230 bits in all (padding to whole characters), plus segments.
func tcString(version int, filler bool, purposes []int, segments ...string) string {
	bits := make([]bool, 230)
	for i := range bits {
		bits[i] = filler
	}
	for i := range 6 {
		bits[i] = version>>(5-i)&1 == 1
	}
	for i := range 24 {
		bits[152+i] = false
	}
	for _, p := range purposes {
		bits[152+p-1] = true
	}
	b := make([]byte, (len(bits)+7)/8)
	for i, v := range bits {
		if v {
			b[i/8] |= 1 << (7 - i%8)
		}
	}
	return strings.Join(append([]string{base64.RawURLEncoding.EncodeToString(b)}, segments...), ".")
}

func TestTCFKeys(t *testing.T) {
	all := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	tests := []struct {
		name string
		s    string
		want map[string]bool // nil: refused, states nothing
	}{
		{"every purpose", tcString(2, false, all), map[string]bool{TCFFunctional: true, TCFAnalytics: true, TCFAds: true}},
		{"no purpose", tcString(2, false, nil), map[string]bool{TCFFunctional: false, TCFAnalytics: false, TCFAds: false}},
		{"no purpose, other fields all ones", tcString(2, true, nil), map[string]bool{TCFFunctional: false, TCFAnalytics: false, TCFAds: false}},
		{"storage only", tcString(2, false, []int{1}), map[string]bool{TCFFunctional: true, TCFAnalytics: false, TCFAds: false}},
		{"measurement", tcString(2, false, []int{1, 7, 8, 9, 10}), map[string]bool{TCFFunctional: true, TCFAnalytics: true, TCFAds: false}},
		{"measurement but 9", tcString(2, false, []int{7, 8, 10}), map[string]bool{TCFFunctional: false, TCFAnalytics: false, TCFAds: false}},
		{"ads", tcString(2, false, []int{2, 3, 4}), map[string]bool{TCFFunctional: false, TCFAnalytics: false, TCFAds: true}},
		{"ads but personalisation", tcString(2, false, []int{1, 2}), map[string]bool{TCFFunctional: true, TCFAnalytics: false, TCFAds: false}},
		{"purpose 24 only", tcString(2, false, []int{24}), map[string]bool{TCFFunctional: false, TCFAnalytics: false, TCFAds: false}},
		{"with other segments", tcString(2, false, all, "IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYAAAAAAAAAAAAAAAAAAAAAAA"), map[string]bool{TCFFunctional: true, TCFAnalytics: true, TCFAds: true}},
		{"version 1", tcString(1, false, all), nil},
		{"version 3", tcString(3, false, all), nil},
		{"too short", tcString(2, false, all)[:29], nil},
		{"not base64url", strings.Replace(tcString(2, false, all), "A", "+", 1), nil},
		{"empty", "", nil},
		{"core segment empty", "." + tcString(2, false, all), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := TCFKeys(tt.s)
			if ok != (tt.want != nil) || !maps.Equal(got, tt.want) {
				t.Fatalf("TCFKeys(%q) = %v, %v; want %v", tt.s, got, ok, tt.want)
			}
		})
	}
	c, err := DecodeTCF(tcString(2, true, []int{1, 24}))
	if err != nil || c.Version != 2 || c.PurposesConsent != 1|1<<23 || !c.Purpose(24) || c.Purpose(2) || c.Purpose(0) || c.Purpose(25) {
		t.Fatalf("DecodeTCF: %+v %v", c, err)
	}
	if _, err := DecodeTCF("BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA"); !errors.Is(err, ErrTCF) { // a v1 string
		t.Fatalf("v1 string: %v", err)
	}
}

// The mapped keys decide purposes like any other key: a TC string without
// purpose consent denies ads even next to an explicit grant.
func TestTCFKeysDecidePurposes(t *testing.T) {
	keys, _ := TCFKeys(tcString(2, false, []int{1}))
	keys[Ads] = true
	if Of(keys, Ads) != Denied || Of(keys, Functional) != Granted || Of(keys, Analytics) != Denied {
		t.Fatalf("purposes of %v: ads %v functional %v analytics %v", keys, Of(keys, Ads), Of(keys, Functional), Of(keys, Analytics))
	}
}

// DecodeTCF never panics and accepts only version 2.
func FuzzDecodeTCF(f *testing.F) {
	for _, s := range []string{"", "CP", tcString(2, false, []int{1, 2}), tcString(2, true, nil, "x"), tcString(1, false, nil), "....", strings.Repeat("_", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := DecodeTCF(s)
		if err == nil && c.Version != 2 {
			t.Fatalf("accepted version %d", c.Version)
		}
		if keys, ok := TCFKeys(s); ok != (err == nil) || (ok && len(keys) != 3) {
			t.Fatalf("TCFKeys %v %v, DecodeTCF %v", keys, ok, err)
		}
	})
}

// TC strings published by IAB Tech Lab with their decoded purposes, so
// that the decoder is checked against strings it did not build itself.
//
// Sources (strings and the documented values only):
//   - iabtcf-java, iabtcf-decoder/src/test/java/com/iabtcf/decoder/TCStringV2Test.java
//     (github.com/InteractiveAdvertisingBureau/iabtcf-java, commit 112c268):
//     "COtybn4P…" made with the iabtcf.com encoder, documented purposes
//     consent {2, 10}; "COrEAV4O…" documented purposes consent {3..9}, also
//     with its disclosed and allowed vendor segments; "COwxsONO…"
//     documented to hold purposes 1 and 2 (containsAll, so only those two
//     are asserted).
//   - IAB Tech Lab, "Consent string and vendor list formats v2", section "TC
//     String Format" (github.com/InteractiveAdvertisingBureau/GDPR-Transparency-and-Consent-Framework,
//     TCFv2/): "CQSbk4AQ…" with its disclosed vendors and publisher TC
//     segments; the spec gives no decoded purposes for it, so only that it is
//     read as version 2 is asserted.
func TestTCFPublishedVectors(t *testing.T) {
	set := func(ps ...int) uint32 {
		var m uint32
		for _, p := range ps {
			m |= 1 << (p - 1)
		}
		return m
	}
	tests := []struct {
		name  string
		s     string
		exact bool            // want is the whole PurposesConsent
		want  uint32          // purposes that must be consented
		keys  map[string]bool // the keys the documented purposes decide
	}{
		{"iabtcf-java encoder example", "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA", true, set(2, 10),
			map[string]bool{TCFFunctional: false, TCFAnalytics: false, TCFAds: false}},
		{"iabtcf-java bit fields", "COrEAV4OrXx94ACABBENAHCIAD-AAAAAAACAAxAAAAgAIAwgAgAAAAEAgQAAAAAEAYQAQAAAACAAAABAAA", true, set(3, 4, 5, 6, 7, 8, 9),
			map[string]bool{TCFFunctional: false, TCFAnalytics: false, TCFAds: false}},
		{"iabtcf-java with vendor segments", "COrEAV4OrXx94ACABBENAHCIAD-AAAAAAACAAxAAAAgAIAwgAgAAAAEAgQAAAAAEAYQAQAAAACAAAABAAA.IBAgAAAgAIAwgAgAAAAEAAAACA.QAagAQAgAIAwgA", true, set(3, 4, 5, 6, 7, 8, 9),
			map[string]bool{TCFFunctional: false, TCFAnalytics: false, TCFAds: false}},
		{"iabtcf-java purposes 1 and 2", "COwxsONOwxsONKpAAAENAdCAAMAAAAAAAAAAAAAAAAAA", false, set(1, 2), map[string]bool{TCFFunctional: true}},
		{"IAB spec TC String Format example", "CQSbk4AQSbk4ANwAAAENAwCgAAAAAAAAAAYgACPAAAAA.IDKQA4AAgAKAGQAygAAA.YAAAAAAAAAAA", false, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DecodeTCF(tt.s)
			if err != nil || c.Version != 2 {
				t.Fatalf("DecodeTCF: %+v, %v; want version 2", c, err)
			}
			if tt.exact && c.PurposesConsent != tt.want || c.PurposesConsent&tt.want != tt.want {
				t.Fatalf("PurposesConsent %024b, want %024b (exact %v)", c.PurposesConsent, tt.want, tt.exact)
			}
			keys, ok := TCFKeys(tt.s)
			if !ok || len(keys) != 3 {
				t.Fatalf("TCFKeys: %v, %v", keys, ok)
			}
			for k, v := range tt.keys {
				if keys[k] != v {
					t.Fatalf("TCFKeys = %v, want %s %v", keys, k, v)
				}
			}
		})
	}
}
