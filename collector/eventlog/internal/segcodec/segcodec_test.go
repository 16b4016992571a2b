package segcodec

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/event"
)

func build(t testing.TB, evs []event.Event) []byte {
	t.Helper()
	var b Builder
	for i := range evs {
		r, err := EncodeRecord(&evs[i])
		if err != nil {
			t.Fatal(err)
		}
		b.Add(r)
	}
	return b.Finish()
}

// sameEvents compares events field by field; times must be the same instant
// with the same zone offset; zone names are not kept, as with JSON before.
func sameEvents(t testing.TB, want, got []event.Event) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		for _, tt := range [][2]time.Time{{w.ClientTime, g.ClientTime}, {w.ReceivedAt, g.ReceivedAt}} {
			_, wo := tt[0].Zone()
			_, gz := tt[1].Zone()
			if !tt[0].Equal(tt[1]) || wo != gz {
				t.Fatalf("event %d: time %v, want %v", i, tt[1], tt[0])
			}
		}
		w.ClientTime, w.ReceivedAt, g.ClientTime, g.ReceivedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(w, g) {
			t.Fatalf("event %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	in := sampleEvents()
	in = append(in,
		// Data kept byte for byte (no compaction), non-UTC zone, empty
		// non-nil maps, invalid UTF-8 kept.
		event.Event{ID: "d", SiteID: "acme", Name: "x\xff", Data: json.RawMessage("{ \"a\" :\t[1, 2] ,\n\"b\":\"<&>\" }"),
			ClientTime: time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("IST", 5*3600+1800)),
			ReceivedAt: time.Unix(0, 1).UTC(), Seq: 1 << 62,
			Context: event.Context{UTM: map[string]string{}, Consent: map[string]bool{}}},
	)
	seg := build(t, in)
	if seg[0] != versionBinary {
		t.Fatalf("version %d", seg[0])
	}
	out, err := Decode(seg)
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, in, out)
	if string(out[3].Data) != string(in[3].Data) {
		t.Fatalf("data %q, want %q", out[3].Data, in[3].Data)
	}
	// UTC stays UTC, exactly as the JSON format gave it.
	if !reflect.DeepEqual(out[0].ClientTime, in[0].ClientTime) || out[0].ClientTime.Location() != time.UTC {
		t.Fatalf("ts %#v", out[0].ClientTime)
	}
	// Decoded data does not alias the segment.
	for i := range seg {
		seg[i] = 0
	}
	sameEvents(t, in, out)

	var ids []string
	if err := Walk(build(t, in), func(site, id, _ []byte) error { ids = append(ids, string(site)+"/"+string(id)); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"acme/" + in[0].ID, "other/b", "acme/c", "acme/d"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("walk ids %v, want %v", ids, want)
	}
}

func TestNilAndEmptyData(t *testing.T) {
	e := event.Event{ID: "n", SiteID: "s"}
	out, err := Decode(build(t, []event.Event{e}))
	if err != nil || string(out[0].Data) != "null" {
		t.Fatalf("nil data: %q %v, want null as before", out[0].Data, err)
	}
	e.Data = json.RawMessage{}
	if _, err := EncodeRecord(&e); err == nil {
		t.Fatal("empty non-nil data encoded")
	}
}

// TestDecodeV1Golden reads a segment written by the version 1 (JSON) encoder.
func TestDecodeV1Golden(t *testing.T) {
	seg, err := os.ReadFile("testdata/v1.seg")
	if err != nil {
		t.Fatal(err)
	}
	if seg[0] != versionJSON {
		t.Fatalf("golden version %d", seg[0])
	}
	out, err := Decode(seg)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleEvents()
	for i := range want {
		want[i].Context.UserID = "" // version 1 predates ctx.user_id
	}
	sameEvents(t, want, out)
	n := 0
	if err := Walk(seg, func(site, id, _ []byte) error { n++; return nil }); err != nil || n != 3 {
		t.Fatalf("walk: %d records, %v", n, err)
	}
}

func TestCorrupt(t *testing.T) {
	seg := build(t, sampleEvents())
	golden, err := os.ReadFile("testdata/v1.seg")
	if err != nil {
		t.Fatal(err)
	}
	// Records whose framing is intact but whose body is not (CRC valid).
	bad := sampleEvents()[1]
	rec, err := EncodeRecord(&bad)
	if err != nil {
		t.Fatal(err)
	}
	site, id, body, _, err := next(rec)
	if err != nil {
		t.Fatal(err)
	}
	flagAt := 2 + len(bad.Name) + len(bad.Source)
	// A later version's flag bit on a record that ends at ua, without the
	// user_id and ga_client_id such a record must carry.
	badFlags := append([]byte(nil), body...)
	badFlags[flagAt] |= 4
	tests := []struct {
		name string
		seg  []byte
	}{
		{"empty", nil},
		{"truncated", seg[:len(seg)-10]},
		{"bit flip", flip(seg, 7)},
		{"bit flip v1", flip(golden, 40)},
		{"version", append([]byte{9}, seg[1:]...)},
		{"short body", frame(site, id, body[:len(body)-1])},
		{"trailing byte", frame(site, id, append(body[:len(body):len(body)], 0))},
		{"bad flags", frame(site, id, badFlags)},
		{"empty body", frame(site, id, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode(tt.seg); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Decode = %v, want ErrCorrupt", err)
			}
		})
	}
	var empty Builder
	if evs, err := Decode(empty.Finish()); err != nil || len(evs) != 0 {
		t.Fatalf("empty segment: %v %v", evs, err)
	}
}

// frame makes a one-record version 2 segment with a valid checksum.
func frame(site, id, body []byte) []byte {
	b := Builder{buf: appendBytes(appendBytes(appendBytes([]byte{Version}, site), id), body), n: 1}
	return b.Finish()
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x40
	return c
}

// TestBuilderReset: a Builder reset onto a used buffer (longer or shorter
// than the new segment) builds the same bytes as a fresh one; Reset(nil) too.
func TestBuilderReset(t *testing.T) {
	in := sampleEvents()
	recs := make([]Record, len(in))
	var fresh Builder
	for i := range in {
		r, err := EncodeRecord(&in[i])
		if err != nil {
			t.Fatal(err)
		}
		recs[i] = r
		fresh.Add(r)
	}
	want := fresh.Finish()
	for _, buf := range [][]byte{nil, make([]byte, 0, 8), append(build(t, append(in, in...)), 1, 2, 3)} {
		var b Builder
		b.Add(Record("stale"))
		b.Reset(buf)
		if b.Len() != 0 || (buf != nil && b.Size() != 1) {
			t.Fatalf("after Reset: %d records, %d bytes", b.Len(), b.Size())
		}
		for _, r := range recs {
			b.Add(r)
		}
		if got := b.Finish(); string(got) != string(want) {
			t.Fatalf("reset onto %d bytes: segment differs from a fresh one", cap(buf))
		}
	}
	out, err := Decode(want)
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, in, out)
}
