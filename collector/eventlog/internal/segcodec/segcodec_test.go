package segcodec

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/popinbridge/bridge/collector/event"
)

func TestRoundTripAndCorruption(t *testing.T) {
	in := []event.Event{
		{ID: "a", SiteID: "acme", Name: "popin_captured", Known: true, Data: json.RawMessage(`{"x":1}`),
			ClientTime: time.UnixMilli(1).UTC(), ReceivedAt: time.UnixMilli(2).UTC(),
			Context: event.Context{URL: "https://x", UTM: map[string]string{"source": "g"}}},
		{ID: "b", SiteID: "other", Name: "custom", Data: json.RawMessage(`null`)},
	}
	var b Builder
	for i := range in {
		r, err := EncodeRecord(&in[i])
		if err != nil {
			t.Fatal(err)
		}
		b.Add(r)
	}
	seg := b.Finish()
	out, err := Decode(seg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n in %+v\nout %+v", in, out)
	}
	var ids []string
	if err := Walk(seg, func(site, id, _ []byte) error { ids = append(ids, string(site)+"/"+string(id)); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids, []string{"acme/a", "other/b"}) {
		t.Fatalf("walk ids %v", ids)
	}

	tests := []struct {
		name string
		seg  []byte
	}{
		{"empty", nil},
		{"truncated", seg[:len(seg)-10]},
		{"bit flip", flip(seg, 7)},
		{"version", append([]byte{9}, seg[1:]...)},
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

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x40
	return c
}
