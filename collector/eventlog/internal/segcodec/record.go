package segcodec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/popinbridge/bridge/internal/event"
)

// Version 2 body, after the record's site id and event id (which are not
// repeated). str is uvarint length then bytes; map is uvarint count+1 (0 is a
// nil map) then its entries in any order; time is uvarint length then
// time.Time.AppendBinary (seconds, nanoseconds and zone offset).
//
//	str name, str source
//	byte flags                bit 0: Known; bit 1: GA (below); bits 2–7: later fields (below)
//	str uid, str aid, str sid
//	varint seq                zigzag
//	time ts, time received_at
//	str data                  exactly as received; a nil Data is stored as null
//	str url, str ref, str title
//	map utm                   str key, str value
//	str fbp, str fbc
//	map consent               str key, byte 0 or 1
//	str country, str ip, str ua
//	[str user_id]             only when not empty: records without it
//	                          (all written before it existed) end at ua
//	with GA: str user_id (may be empty), str ga_client_id (not empty)
//
// Forward compatibility: a later version that adds fields sets a flag bit
// from 2 up and writes str user_id and str ga_client_id (both may then be
// empty) followed by its new fields, within the record's length. This
// version reads such a record's known fields and skips the rest, so a
// cluster keeps reading while its nodes are upgraded one at a time.
// Trailing bytes without such a bit are corruption.

const (
	flagKnown = 1
	flagGA    = 2                         // the record ends with user_id and ga_client_id
	flagLater = ^byte(flagKnown | flagGA) // fields of a later version follow ga_client_id
)

// maxTimeLen bounds an encoded time, so its length prefix is one byte.
const maxTimeLen = 16

var errEmptyData = errors.New("empty data (not JSON)")

// EncodeRecord encodes e as one record. Data is copied verbatim: the caller
// (ingest) has validated it as JSON; a nil Data is stored as null and an
// empty non-nil one is refused, as with the JSON encoder before.
func EncodeRecord(e *event.Event) (Record, error) {
	data := []byte(e.Data)
	if data == nil {
		data = []byte("null")
	} else if len(data) == 0 {
		return nil, fmt.Errorf("encode event %q: %w", e.ID, errEmptyData)
	}
	c := &e.Context
	n := len(e.SiteID) + len(e.ID) + len(e.Name) + len(e.Source) + len(e.UID) + len(e.AnonID) +
		len(e.SessionID) + len(data) + len(c.URL) + len(c.Referrer) + len(c.Title) + len(c.FBP) +
		len(c.FBC) + len(c.Country) + len(c.IP) + len(c.UserAgent) + len(c.UserID) + len(c.GAClientID)
	for k, v := range c.UTM {
		n += len(k) + len(v) + 2*binary.MaxVarintLen32
	}
	for k := range c.Consent {
		n += len(k) + 1 + binary.MaxVarintLen32
	}
	b := make([]byte, 0, n+24*binary.MaxVarintLen32+2*maxTimeLen)
	b = appendStr(b, e.SiteID)
	b = appendStr(b, e.ID)
	// The body's length is known only once it is written: reserve the
	// longest prefix, then move the body down behind the real one.
	start := len(b)
	b = append(b, make([]byte, binary.MaxVarintLen64)...)
	body := len(b)

	b = appendStr(b, e.Name)
	b = appendStr(b, string(e.Source))
	var flags byte
	if e.Known {
		flags |= flagKnown
	}
	if c.GAClientID != "" {
		flags |= flagGA
	}
	b = append(b, flags)
	b = appendStr(b, e.UID)
	b = appendStr(b, e.AnonID)
	b = appendStr(b, e.SessionID)
	b = binary.AppendVarint(b, e.Seq)
	var err error
	if b, err = appendTime(b, e.ClientTime); err != nil {
		return nil, fmt.Errorf("encode event %q: ts: %w", e.ID, err)
	}
	if b, err = appendTime(b, e.ReceivedAt); err != nil {
		return nil, fmt.Errorf("encode event %q: received_at: %w", e.ID, err)
	}
	b = appendBytes(b, data)
	b = appendStr(b, c.URL)
	b = appendStr(b, c.Referrer)
	b = appendStr(b, c.Title)
	b = appendMapLen(b, c.UTM == nil, len(c.UTM))
	for k, v := range c.UTM {
		b = appendStr(appendStr(b, k), v)
	}
	b = appendStr(b, c.FBP)
	b = appendStr(b, c.FBC)
	b = appendMapLen(b, c.Consent == nil, len(c.Consent))
	for k, v := range c.Consent {
		b = appendStr(b, k)
		if v {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	b = appendStr(b, c.Country)
	b = appendStr(b, c.IP)
	b = appendStr(b, c.UserAgent)
	if c.UserID != "" || flags&flagGA != 0 {
		b = appendStr(b, c.UserID)
	}
	if flags&flagGA != 0 {
		b = appendStr(b, c.GAClientID)
	}

	size := len(b) - body
	hdr := binary.AppendUvarint(b[start:start], uint64(size))
	n = copy(b[start+len(hdr):], b[body:])
	return b[:start+len(hdr)+n], nil
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendMapLen(dst []byte, isNil bool, n int) []byte {
	if isNil {
		return append(dst, 0)
	}
	return binary.AppendUvarint(dst, uint64(n)+1)
}

func appendTime(dst []byte, t time.Time) ([]byte, error) {
	at := len(dst)
	dst = append(dst, 0)
	dst, err := t.AppendBinary(dst)
	if err != nil {
		return nil, err
	}
	if n := len(dst) - at - 1; n <= maxTimeLen {
		dst[at] = byte(n)
		return dst, nil
	}
	return nil, fmt.Errorf("time encodes to %d bytes", len(dst)-at-1)
}

// reader reads a version 2 body. The first malformed field sets err; later
// reads then return zero values, so callers check err once at the end.
type reader struct {
	b   []byte
	s   string // b as a string: strings are cut from it, one allocation per record
	off int
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("malformed %s at byte %d", what, r.off)
	}
}

func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Uvarint(r.b[r.off:])
	if k <= 0 {
		r.fail(what)
		return 0
	}
	r.off += k
	return v
}

// span reads a length-prefixed field and returns its bounds in b.
func (r *reader) span(what string) (int, int) {
	n := r.uvarint(what)
	if r.err != nil {
		return 0, 0
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail(what)
		return 0, 0
	}
	a := r.off
	r.off += int(n)
	return a, r.off
}

func (r *reader) str(what string) string {
	a, z := r.span(what)
	if a == z {
		return ""
	}
	return r.s[a:z]
}

func (r *reader) byte(what string) byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.fail(what)
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) time(what string) time.Time {
	a, z := r.span(what)
	var t time.Time
	if r.err == nil && t.UnmarshalBinary(r.b[a:z]) != nil {
		r.fail(what)
	}
	return t
}

// mapLen reads a map's count+1 and checks that count entries of at least
// minEntry bytes each fit in what is left. It returns -1 for a nil map.
func (r *reader) mapLen(what string, minEntry int) int {
	n := r.uvarint(what)
	if r.err != nil || n == 0 {
		return -1
	}
	n--
	if n > uint64((len(r.b)-r.off)/minEntry) {
		r.fail(what)
		return -1
	}
	return int(n)
}

// decodeBinary decodes a whole version 2 record (site id, event id, body),
// already split off by next, into e, which must be zero. Nothing in e aliases
// rec.
func decodeBinary(e *event.Event, rec []byte) error {
	r := reader{b: rec, s: string(rec)}
	e.SiteID = r.str("site")
	e.ID = r.str("id")
	a, z := r.span("body")
	if r.err == nil && z != len(rec) {
		r.fail("body length")
	}
	r.off = a // the body's fields follow
	e.Name = r.str("name")
	e.Source = event.Source(r.str("source"))
	flags := r.byte("flags")
	e.Known = flags&flagKnown != 0
	e.UID = r.str("uid")
	e.AnonID = r.str("aid")
	e.SessionID = r.str("sid")
	if r.err == nil {
		v, k := binary.Varint(r.b[r.off:])
		if k <= 0 {
			r.fail("seq")
		} else {
			e.Seq, r.off = v, r.off+k
		}
	}
	e.ClientTime = r.time("ts")
	e.ReceivedAt = r.time("received_at")
	if a, z := r.span("data"); r.err == nil {
		if a == z {
			r.fail("data (empty)") // never written: nil is stored as null
		}
		e.Data = append(make([]byte, 0, z-a), r.b[a:z]...)
	}
	c := &e.Context
	c.URL = r.str("url")
	c.Referrer = r.str("ref")
	c.Title = r.str("title")
	if n := r.mapLen("utm", 2); n >= 0 {
		c.UTM = make(map[string]string, n)
		for range n {
			k := r.str("utm key")
			c.UTM[k] = r.str("utm value")
		}
	}
	c.FBP = r.str("fbp")
	c.FBC = r.str("fbc")
	if n := r.mapLen("consent", 2); n >= 0 {
		c.Consent = make(map[string]bool, n)
		for range n {
			k := r.str("consent key")
			switch r.byte("consent value") {
			case 0:
				c.Consent[k] = false
			case 1:
				c.Consent[k] = true
			default:
				r.fail("consent value")
			}
		}
	}
	c.Country = r.str("country")
	c.IP = r.str("ip")
	c.UserAgent = r.str("ua")
	switch {
	case flags&flagLater != 0:
		c.UserID = r.str("user_id")
		c.GAClientID = r.str("ga_client_id")
		if r.err == nil {
			r.off = len(r.b) // a later version's fields
		}
	case flags&flagGA != 0:
		c.UserID = r.str("user_id")
		if c.GAClientID = r.str("ga_client_id"); c.GAClientID == "" {
			r.fail("ga_client_id (empty)") // never written
		}
	case r.err == nil && r.off < len(r.b):
		if c.UserID = r.str("user_id"); c.UserID == "" {
			r.fail("user_id (empty)") // never written
		}
	}
	if r.err == nil && r.off != len(r.b) {
		r.fail("record end (trailing bytes)")
	}
	return r.err
}
