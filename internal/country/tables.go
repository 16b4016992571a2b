package country

import (
	"strings"
	"sync"
	"unicode"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// tables are built once from CLDR and libphonenumber data.
type tables struct {
	valid      map[string]bool   // current alpha-2 codes of countries and territories
	names      map[string]string // nameKey(English name or alias) → alpha-2
	deprecated map[string]string // deprecated alpha-2 codes CLDR does not replace
}

var load = sync.OnceValue(build)

// aliases are common English names CLDR does not use. Everything else comes
// from CLDR's English region names.
var aliases = map[string]string{
	"usa": "US", "u s": "US", "u s a": "US", "united states of america": "US", "america": "US",
	"uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
	"scotland": "GB", "wales": "GB", "northern ireland": "GB",
	"united kingdom of great britain and northern ireland": "GB",
	"uae": "AE", "emirates": "AE",
	"ksa": "SA", "saudi": "SA",
	"bharat":             "IN",
	"russian federation": "RU",
	"korea":              "KR", "republic of korea": "KR", "north korea": "KP",
	"czech republic": "CZ",
	"ivory coast":    "CI",
	"holland":        "NL",
	"hong kong":      "HK", "macau": "MO", "macao": "MO",
	"burma":     "MM",
	"swaziland": "SZ",
	"turkey":    "TR", "turkiye": "TR",
	"east timor": "TL",
	"palestine":  "PS",
	"vietnam":    "VN", "viet nam": "VN",
	"laos":      "LA",
	"macedonia": "MK", "north macedonia": "MK",
	"cape verde": "CV", "cabo verde": "CV",
	"dr congo": "CD", "drc": "CD", "democratic republic of the congo": "CD",
	"republic of the congo": "CG",
	"vatican":               "VA", "vatican city": "VA", "holy see": "VA",
	"bosnia":   "BA",
	"trinidad": "TT",
	"iran":     "IR", "syria": "SY", "moldova": "MD", "tanzania": "TZ", "bolivia": "BO", "venezuela": "VE",
}

func build() *tables {
	t := &tables{
		valid:      make(map[string]bool),
		names:      make(map[string]string),
		deprecated: map[string]string{"UK": "GB"},
	}
	for r := range phonenumbers.GetSupportedRegions() {
		t.valid[r] = true
	}
	en := display.English.Regions()
	for a := byte('A'); a <= 'Z'; a++ {
		for b := byte('A'); b <= 'Z'; b++ {
			code := string([]byte{a, b})
			r, err := language.ParseRegion(code)
			if err != nil || !r.IsCountry() || r.String() != code || r.Canonicalize() != r || code == "UK" {
				continue
			}
			name := en.Name(r)
			if name == "" || r.ISO3() == "ZZZ" {
				continue
			}
			t.valid[code] = true
		}
	}
	for code := range t.valid {
		r, err := language.ParseRegion(code)
		if err != nil {
			continue
		}
		for _, v := range variants(en.Name(r)) {
			if _, taken := t.names[v]; !taken && v != "" {
				t.names[v] = code
			}
		}
	}
	for k, code := range aliases {
		t.names[nameKey(k)] = code
	}
	return t
}

// variants lists the lookup keys of one CLDR name: the name itself and, for
// "Myanmar (Burma)", "Myanmar" and "Burma"; for "St. Lucia", "Saint Lucia".
func variants(name string) []string {
	out := []string{nameKey(name)}
	if open := strings.IndexByte(name, '('); open > 0 {
		if end := strings.IndexByte(name[open:], ')'); end > 0 {
			out = append(out, nameKey(name[:open]), nameKey(name[open+1:open+end]))
		}
	}
	if strings.HasPrefix(name, "St. ") {
		out = append(out, nameKey("Saint "+name[4:]))
	}
	if strings.HasSuffix(name, " SAR China") {
		out = append(out, nameKey(strings.TrimSuffix(name, " SAR China")))
	}
	return out
}

var stripMarks = runes.Remove(runes.In(unicode.Mn))

// nameKey folds a name for lookup: accents removed, lower case, "&" read as
// "and", apostrophes dropped, other punctuation as spaces, spaces collapsed,
// a leading "the" dropped.
func nameKey(s string) string {
	folded, _, err := transform.String(transform.Chain(norm.NFD, stripMarks, norm.NFC), s)
	if err == nil {
		s = folded
	}
	s = strings.ReplaceAll(s, "&", " and ")
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '\'' || r == '’' || r == '`':
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	return strings.TrimPrefix(b.String(), "the ")
}
