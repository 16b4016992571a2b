// Package pii applies a site's PII policy to an event payload before it is
// stored in ClickHouse. Values are normalised and hashed by
// internal/piinorm, as the Conversions API does, so a stored hash equals
// the one Meta receives.
package pii

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/site"
)

// Kind is the personal-data category of an object member name
// (piinorm.Classify: one definition for the sink, the forwarder and the
// suppression list).
type Kind = piinorm.Kind

// Categories.
const (
	None  = piinorm.KindNone
	Email = piinorm.KindEmail
	Phone = piinorm.KindPhone
	Name  = piinorm.KindName
)

var keyReplacer = strings.NewReplacer("-", "_", " ", "_")

// Classify returns the category of an object member name (piinorm.Classify).
func Classify(key string) Kind { return piinorm.Classify(key) }

// Sealer encrypts one personal value for the encrypt policy (see
// internal/piicrypt). A nil Sealer makes the encrypt policy behave like hash,
// so a missing key never stores raw values.
type Sealer func(plaintext string) string

// effective is the policy actually applied: encrypt needs a sealer.
func effective(policy site.PIIPolicy, seal Sealer) site.PIIPolicy {
	if policy == site.PIIEncrypt && seal == nil {
		return site.PIIHash
	}
	return policy
}

// ErrInvalid means the payload is not valid JSON.
var ErrInvalid = errors.New("payload is not valid JSON")

var opts = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// Region is what, besides the payload's own country members, decides the
// region of phone numbers written without a country code (see
// piinorm.PhoneRegion): Seen is the event's ctx.country, Site the site's
// default_phone_region.
type Region struct{ Seen, Site string }

// Apply returns data after policy, as compact JSON (ClickHouse's visitParam
// functions need compact JSON). The result may share data's memory, which
// therefore must not change afterwards (event payloads never do). For
// PIIHash, e-mail and phone string (or number) values anywhere in the
// document become piinorm.Hash of piinorm.Email or piinorm.Phone ("" when
// the value is not a plausible e-mail or phone number); names are kept.
// For PIIDrop, e-mail, phone and name members are removed. PIIRaw keeps
// the payload unchanged. Any other policy (including "") is treated as
// PIIHash, so an unknown or misconfigured site never stores raw e-mail or
// phone. Phones are read in piinorm.PhoneRegion(payload countries,
// region.Seen, region.Site), with no further fallback.
func Apply(data []byte, policy site.PIIPolicy, region Region) (string, error) {
	return ApplySealed(data, policy, region, nil)
}

// ApplySealed is Apply with a sealer for the encrypt policy, under which
// e-mail, phone and name values are replaced by seal(value).
func ApplySealed(data []byte, policy site.PIIPolicy, region Region, seal Sealer) (string, error) {
	policy = effective(policy, seal)
	if len(bytes.TrimSpace(data)) == 0 {
		return "{}", nil
	}
	if policy == site.PIIRaw || !mayContainPII(data, policy != site.PIIHash) {
		return compact(data)
	}
	st := states.Get().(*state)
	defer states.Put(st)
	out, err := st.transform(data, policy, region, seal)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// AppendApply appends ApplySealed(data, policy, region, seal) to dst and
// returns the extended buffer; on error dst is returned unchanged. Given
// room in dst it allocates nothing, unless the payload takes the plain path
// (see fast.go), is sealed, or holds a phone number not seen recently.
func AppendApply(dst, data []byte, policy site.PIIPolicy, region Region, seal Sealer) ([]byte, error) {
	return AppendApplyNames(dst, data, policy, site.PIINamesKeep, region, seal)
}

// AppendApplyNames is AppendApply with the site's pii_names (see
// site.Site.PIINames): "" or keep is AppendApply; hash replaces name
// scalars by piinorm.Hash(piinorm.Name(value)) unless the policy seals or
// drops them; drop removes name members whatever the policy.
func AppendApplyNames(dst, data []byte, policy site.PIIPolicy, names string, region Region, seal Sealer) ([]byte, error) {
	st := states.Get().(*state)
	defer states.Put(st)
	return st.appendApplyNames(dst, data, policy, names, region, seal)
}

// Scratch is the reusable state of the Append functions for one goroutine,
// for a caller that converts payload after payload (instead of borrowing
// from a pool per call). The zero value is ready to use.
type Scratch struct{ st state }

// AppendApplyNames is the package's AppendApplyNames.
func (sc *Scratch) AppendApplyNames(dst, data []byte, policy site.PIIPolicy, names string, region Region, seal Sealer) ([]byte, error) {
	return sc.st.appendApplyNames(dst, data, policy, names, region, seal)
}

// AppendAnonymous is the package's AppendAnonymous.
func (sc *Scratch) AppendAnonymous(dst, data []byte) ([]byte, error) {
	return sc.st.appendAnonymous(dst, data)
}

func (st *state) appendApplyNames(dst, data []byte, policy site.PIIPolicy, names string, region Region, seal Sealer) ([]byte, error) {
	p := effective(policy, seal)
	n := names
	if n == site.PIINamesKeep {
		n = ""
	}
	classify := !(p == site.PIIRaw && n == "") && mayContainPII(data, p != site.PIIHash || n != "")
	st.names = n
	out, ok := st.fast(dst, data, p, region, seal, classify)
	st.names = ""
	if ok {
		return out, nil
	}
	return appendApplyPlain(dst, data, policy, names, region, seal)
}

// appendApplyPlain is AppendApplyNames without the fast path: it decodes
// the payload token by token and encodes what it keeps.
func appendApplyPlain(dst, data []byte, policy site.PIIPolicy, names string, region Region, seal Sealer) ([]byte, error) {
	policy = effective(policy, seal)
	if names == site.PIINamesKeep {
		names = ""
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return append(dst, "{}"...), nil
	}
	if (policy == site.PIIRaw && names == "") || !mayContainPII(data, policy != site.PIIHash || names != "") {
		if !hasSpace(data) {
			if !jsontext.Value(data).IsValid(opts...) {
				return dst, ErrInvalid
			}
			return append(dst, data...), nil
		}
		s, err := compact(data)
		if err != nil {
			return dst, err
		}
		return append(dst, s...), nil
	}
	st := states.Get().(*state)
	defer states.Put(st)
	st.names = names
	defer func() { st.names = "" }()
	out, err := st.transform(data, policy, region, seal)
	if err != nil {
		return dst, err
	}
	return append(dst, out...), nil
}

// AppendAnonymous appends data with every e-mail, phone and name member
// removed (as PIIDrop) and every visitor identifier member too (see
// Identifier): what is stored of an event whose visitor denied analytics.
func AppendAnonymous(dst, data []byte) ([]byte, error) {
	st := states.Get().(*state)
	defer states.Put(st)
	return st.appendAnonymous(dst, data)
}

func (st *state) appendAnonymous(dst, data []byte) ([]byte, error) {
	st.anon = true
	out, ok := st.fast(dst, data, site.PIIDrop, Region{}, nil, true)
	st.anon = false
	if ok {
		return out, nil
	}
	return appendAnonymousPlain(dst, data)
}

// appendAnonymousPlain is AppendAnonymous without the fast path.
func appendAnonymousPlain(dst, data []byte) ([]byte, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return append(dst, "{}"...), nil
	}
	st := states.Get().(*state)
	defer states.Put(st)
	st.anon = true
	defer func() { st.anon = false }()
	out, err := st.transform(data, site.PIIDrop, Region{}, nil)
	if err != nil {
		return dst, err
	}
	return append(dst, out...), nil
}

// transform applies a hash or drop policy to data token by token; the
// result is compact JSON in st's buffer, valid until st is reused.
func (st *state) transform(data []byte, policy site.PIIPolicy, region Region, seal Sealer) ([]byte, error) {
	st.data, st.region, st.seal, st.resolved = data, region, seal, false
	defer func() { st.data, st.seal = nil, nil }()
	st.rd.Reset(data)
	st.out.Reset()
	st.dec.Reset(&st.rd, opts...)
	st.enc.Reset(&st.out, opts...)
	dec, enc := &st.dec, &st.enc
	for {
		depth := dec.StackDepth()
		kind, n := dec.StackIndex(depth)
		if kind == '{' && n%2 == 0 && dec.PeekKind() == '"' {
			tok, err := dec.ReadToken()
			if err != nil {
				return nil, errors.Join(ErrInvalid, err)
			}
			name := tok.String()
			if err := st.member(jsontext.String(name), Classify(name), policy); err != nil {
				return nil, err
			}
			continue
		}
		tok, err := dec.ReadToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errors.Join(ErrInvalid, err)
		}
		if err := enc.WriteToken(tok); err != nil {
			return nil, errors.Join(ErrInvalid, err)
		}
	}
	return bytes.TrimRight(st.out.Bytes(), "\n"), nil
}

// state is the reusable machinery of one Apply call.
type state struct {
	rd   bytes.Reader
	out  bytes.Buffer
	dec  jsontext.Decoder
	enc  jsontext.Encoder
	seal Sealer

	fs          fastScan
	anon        bool   // also drop identifier members (AppendAnonymous)
	names       string // pii_names: "" (keep), hash or drop
	data        []byte // the payload being transformed
	region      Region
	resolved    bool   // phoneRegion is set
	phoneRegion string // piinorm.PhoneRegion of this payload, once needed
}

var states = sync.Pool{New: func() any { return new(state) }}

// phone is the region for this payload's phone numbers, computed on first
// use (most payloads hold no phone).
func (st *state) phone() string {
	if !st.resolved {
		pc, c := piinorm.PayloadCountries(st.data)
		st.phoneRegion = piinorm.PhoneRegion(piinorm.EventCountries{PhoneCountry: pc, Country: c, Seen: st.region.Seen}, st.region.Site, "")
		st.resolved = true
	}
	return st.phoneRegion
}

// Actions on a personal member's value.
const (
	actKeep = iota
	actDrop
	actHash
	actSeal
)

// action is what happens to the value of a member of kind k (not None).
func (st *state) action(k Kind, policy site.PIIPolicy) int {
	switch {
	case policy == site.PIIDrop || (k == Name && st.names == site.PIINamesDrop):
		return actDrop
	case policy == site.PIIEncrypt:
		return actSeal
	case k == Name && st.names == site.PIINamesHash:
		return actHash
	case k == Name || policy == site.PIIRaw:
		return actKeep
	}
	return actHash
}

// member handles one object member whose name token was just read.
func (st *state) member(name jsontext.Token, k Kind, policy site.PIIPolicy) error {
	dec, enc := &st.dec, &st.enc
	fail := func(err error) error {
		if err == nil {
			return nil
		}
		return errors.Join(ErrInvalid, err)
	}
	if k == None && st.anon && Identifier(name.String()) {
		return fail(dec.SkipValue())
	}
	if k == None {
		return fail(enc.WriteToken(name))
	}
	act := st.action(k, policy)
	switch act {
	case actKeep:
		return fail(enc.WriteToken(name))
	case actDrop:
		return fail(dec.SkipValue())
	}
	// Hash or seal scalars; containers are walked like any value.
	switch dec.PeekKind() {
	case '"', '0':
		v, err := dec.ReadToken()
		if err != nil {
			return fail(err)
		}
		s := v.String()
		if err := enc.WriteToken(name); err != nil {
			return fail(err)
		}
		switch {
		case s == "":
		case act == actSeal:
			s = st.seal(s)
		case k == Email:
			s = piinorm.Hash(piinorm.Email(s))
		case k == Name:
			s = piinorm.Hash(piinorm.Name(s))
		default:
			s = piinorm.Hash(piinorm.Phone(s, st.phone()))
		}
		return fail(enc.WriteToken(jsontext.String(s)))
	}
	return fail(enc.WriteToken(name))
}
