package segcodec

import (
	"errors"
	"os"
	"testing"

	"github.com/popinbridge/bridge/internal/event"
)

// FuzzDecode feeds arbitrary segments to Decode and Walk: they must never
// panic, every error must be ErrCorrupt, and a version 2 segment that decodes
// must encode back to events that decode the same.
func FuzzDecode(f *testing.F) {
	f.Add(build(f, sampleEvents()))
	f.Add(build(f, []event.Event{benchEvent()}))
	if golden, err := os.ReadFile("testdata/v1.seg"); err == nil {
		f.Add(golden)
	}
	var empty Builder
	f.Add(empty.Finish())
	f.Fuzz(func(t *testing.T, seg []byte) {
		// Most random inputs fail the checksum; also try seg with a valid one.
		for _, s := range [][]byte{seg, withCRC(seg)} {
			evs, err := Decode(s)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Decode error %v is not ErrCorrupt", err)
				}
				continue
			}
			if werr := Walk(s, func(_, _, _ []byte) error { return nil }); werr != nil {
				t.Fatalf("Decode ok but Walk: %v", werr)
			}
			if s[0] != versionBinary {
				continue
			}
			again, err := Decode(build(t, evs))
			if err != nil {
				t.Fatalf("re-encoded segment: %v", err)
			}
			sameEvents(t, evs, again)
		}
	})
}

// withCRC returns seg with its last 4 bytes replaced by a valid checksum.
func withCRC(seg []byte) []byte {
	if len(seg) < 5 {
		return seg
	}
	b := Builder{buf: append([]byte(nil), seg[:len(seg)-4]...)}
	return b.Finish()
}
