package pii

import (
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/site"
)

// The fast path applies a policy in one pass over the payload, copying what
// it keeps byte for byte, instead of decoding it token by token and
// encoding it again. It takes only documents whose output it can tell
// equals the plain path's (transform, compact): one JSON value, no string
// escapes, valid UTF-8, nesting at most maxFastDepth. For anything else it
// gives up (ok false) without a verdict, and the caller runs the plain
// path, which also decides what is invalid. FuzzFastMatchesPlain holds the
// two paths to the same output.

const maxFastDepth = 64

// fastScan is the state of one fast-path run (held in a state, reused).
type fastScan struct {
	st       *state
	data     []byte
	i        int
	out      []byte // the caller's dst, appended to
	classify bool   // look up member names (false: nothing can be personal)
	policy   site.PIIPolicy

	// Country members as PayloadCountries reads them: [level][key], level 0
	// the top-level object, 1 its "properties" objects; last one wins.
	// They share the payload's memory.
	countries [2][3]string
	phones    []phoneSlot // phone values to hash once the region is known
	tail      []byte      // scratch for splicing phone hashes in
}

// phoneSlot is a phone value whose hash goes at out[at].
type phoneSlot struct {
	at  int
	raw string // shares the payload's memory
}

// fastCountryKeys in PayloadCountries' precedence: phone country, then country.
var fastCountryKeys = [3]string{"country_code", "customer_country_code", "country"}

// fast appends the policy's output for data to dst; ok false when the
// document is not one the fast path takes (dst's contents unchanged then).
func (st *state) fast(dst, data []byte, policy site.PIIPolicy, region Region, seal Sealer, classify bool) ([]byte, bool) {
	f := &st.fs
	f.st, f.data, f.i, f.out, f.classify, f.policy = st, data, 0, dst, classify, policy
	st.seal = seal
	out, ok := f.run(region)
	clear(f.phones)
	f.st, f.data, f.out, f.phones, f.countries, st.seal = nil, nil, nil, f.phones[:0], [2][3]string{}, nil
	if !ok {
		return dst, false
	}
	return out, true
}

func (f *fastScan) run(region Region) ([]byte, bool) {
	f.ws()
	if !f.value(0, 0) {
		return nil, false
	}
	if f.ws(); f.i != len(f.data) {
		return nil, false // more than one value: the plain path decides
	}
	if len(f.phones) == 0 {
		return f.out, true
	}
	pick := func(keys ...int) string {
		for lvl := range f.countries {
			for _, k := range keys {
				if v := f.countries[lvl][k]; strings.TrimSpace(v) != "" {
					return v
				}
			}
		}
		return ""
	}
	ev := piinorm.EventCountries{PhoneCountry: pick(0, 1), Country: pick(2), Seen: region.Seen}
	phoneRegion := piinorm.PhoneRegion(ev, region.Site, "")
	first := f.phones[0].at
	f.tail = append(f.tail[:0], f.out[first:]...)
	out, at := f.out[:first], first
	for _, p := range f.phones {
		out = append(out, f.tail[at-first:p.at-first]...)
		out = append(out, '"')
		out = piinorm.AppendHash(out, piinorm.Phone(p.raw, phoneRegion))
		out = append(out, '"')
		at = p.at
	}
	return append(out, f.tail[at-first:]...), true
}

// ws skips insignificant whitespace.
func (f *fastScan) ws() {
	for f.i < len(f.data) {
		switch f.data[f.i] {
		case ' ', '\t', '\n', '\r':
			f.i++
		default:
			return
		}
	}
}

// value copies one value at f.i to out. lvl is the country level of an
// object value (0 or 1), or -1.
func (f *fastScan) value(depth, lvl int) bool {
	if f.i >= len(f.data) || depth > maxFastDepth {
		return false
	}
	switch c := f.data[f.i]; {
	case c == '{':
		return f.object(depth, lvl)
	case c == '[':
		return f.array(depth)
	case c == '"':
		s, ok := f.str()
		f.out = append(f.out, '"')
		f.out = append(f.out, s...)
		f.out = append(f.out, '"')
		return ok
	case c == '-' || c >= '0' && c <= '9':
		n, ok := f.number()
		f.out = append(f.out, n...)
		return ok
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(f.data)-f.i >= len(lit) && string(f.data[f.i:f.i+len(lit)]) == lit {
			f.out = append(f.out, lit...)
			f.i += len(lit)
			return true
		}
	}
	return false
}

func (f *fastScan) array(depth int) bool {
	f.i++
	f.out = append(f.out, '[')
	if f.ws(); f.i < len(f.data) && f.data[f.i] == ']' {
		f.i++
		f.out = append(f.out, ']')
		return true
	}
	for {
		if f.ws(); !f.value(depth+1, -1) {
			return false
		}
		if f.ws(); f.i >= len(f.data) {
			return false
		}
		switch f.data[f.i] {
		case ',':
			f.i++
			f.out = append(f.out, ',')
		case ']':
			f.i++
			f.out = append(f.out, ']')
			return true
		default:
			return false
		}
	}
}

func (f *fastScan) object(depth, lvl int) bool {
	f.i++
	f.out = append(f.out, '{')
	if f.ws(); f.i < len(f.data) && f.data[f.i] == '}' {
		f.i++
		f.out = append(f.out, '}')
		return true
	}
	first := true
	for {
		if f.ws(); f.i >= len(f.data) || f.data[f.i] != '"' {
			return false
		}
		name, ok := f.str()
		if !ok {
			return false
		}
		if f.ws(); f.i >= len(f.data) || f.data[f.i] != ':' {
			return false
		}
		f.i++
		f.ws()
		mark := len(f.out)
		if !first {
			f.out = append(f.out, ',')
		}
		f.out = append(f.out, '"')
		f.out = append(f.out, name...)
		f.out = append(f.out, '"', ':')
		if !f.member(unsafe.String(unsafe.SliceData(name), len(name)), depth, lvl, mark) {
			return false
		}
		first = first && len(f.out) == mark
		if f.ws(); f.i >= len(f.data) {
			return false
		}
		switch f.data[f.i] {
		case ',':
			f.i++
		case '}':
			f.i++
			f.out = append(f.out, '}')
			return true
		default:
			return false
		}
	}
}

// member copies, drops or replaces the value of member name, whose name
// (and comma) out holds from mark on.
func (f *fastScan) member(name string, depth, lvl, mark int) bool {
	if f.i >= len(f.data) {
		return false
	}
	k := None
	if f.classify {
		k = Classify(name)
	}
	if k == None {
		if f.st.anon && Identifier(name) {
			ok := f.value(depth+1, -1)
			f.out = f.out[:mark]
			return ok
		}
		if lvl >= 0 && f.data[f.i] == '"' {
			for j, key := range fastCountryKeys {
				if name == key {
					v, ok := f.str()
					f.out = append(f.out, '"')
					f.out = append(f.out, v...)
					f.out = append(f.out, '"')
					f.countries[lvl][j] = unsafe.String(unsafe.SliceData(v), len(v)) // the payload's memory
					return ok
				}
			}
		}
		child := -1
		if lvl == 0 && name == "properties" {
			child = 1
		}
		return f.value(depth+1, child)
	}
	act := f.st.action(k, f.policy)
	switch act {
	case actKeep:
		return f.value(depth+1, -1)
	case actDrop:
		ok := f.value(depth+1, -1)
		f.out = f.out[:mark]
		return ok
	}
	var raw []byte
	switch c := f.data[f.i]; {
	case c == '"':
		s, ok := f.str()
		if !ok {
			return false
		}
		raw = s
	case c == '-' || c >= '0' && c <= '9':
		n, ok := f.number()
		if !ok {
			return false
		}
		raw = n
	default: // containers are walked like any value
		return f.value(depth+1, -1)
	}
	s := unsafe.String(unsafe.SliceData(raw), len(raw)) // valid during this call only
	switch {
	case s == "":
		f.out = append(f.out, '"', '"')
	case act == actSeal:
		f.out, _ = jsontext.AppendQuote(f.out, f.st.seal(string(raw))) // invalid UTF-8 replaced, as the plain path does
	case k == Phone:
		f.phones = append(f.phones, phoneSlot{at: len(f.out), raw: s})
	default:
		f.out = append(f.out, '"')
		if k == Email {
			f.out = piinorm.AppendHash(f.out, piinorm.Email(s))
		} else {
			f.out = piinorm.AppendHash(f.out, piinorm.Name(s))
		}
		f.out = append(f.out, '"')
	}
	return true
}

// str consumes a string at f.i and returns its content; false for one the
// fast path does not take (an escape, a control character, invalid UTF-8)
// or an unterminated one.
func (f *fastScan) str() ([]byte, bool) {
	d, start := f.data, f.i+1
	ascii := true
	for j := start; j < len(d); j++ {
		c := d[j]
		if plainByte[c] {
			continue
		}
		switch {
		case c == '"':
			f.i = j + 1
			return d[start:j], ascii || utf8.Valid(d[start:j])
		case c >= utf8.RuneSelf:
			ascii = false
		default: // an escape or a control character
			return nil, false
		}
	}
	return nil, false
}

// plainByte: ASCII that stands for itself inside a JSON string.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// number consumes a number at f.i (RFC 8259 grammar) and returns its text.
func (f *fastScan) number() ([]byte, bool) {
	d, start := f.data, f.i
	j := start
	digits := func() int {
		n := 0
		for j < len(d) && d[j] >= '0' && d[j] <= '9' {
			j++
			n++
		}
		return n
	}
	if j < len(d) && d[j] == '-' {
		j++
	}
	switch {
	case j < len(d) && d[j] == '0':
		j++
	case digits() == 0:
		return nil, false
	}
	if j < len(d) && d[j] == '.' {
		j++
		if digits() == 0 {
			return nil, false
		}
	}
	if j < len(d) && (d[j] == 'e' || d[j] == 'E') {
		j++
		if j < len(d) && (d[j] == '+' || d[j] == '-') {
			j++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	f.i = j
	return d[start:j], true
}
