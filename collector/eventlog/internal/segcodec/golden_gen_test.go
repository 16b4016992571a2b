package segcodec

import (
	"os"
	"testing"
)

// TestWriteGoldenV1 writes testdata/v1.seg with the v1 (JSON) encoder. Run once
// with BRIDGE_WRITE_GOLDEN=1 before the v2 encoder replaced it.
func TestWriteGoldenV1(t *testing.T) {
	if os.Getenv("BRIDGE_WRITE_GOLDEN") != "1" {
		t.Skip("set BRIDGE_WRITE_GOLDEN=1")
	}
	var b Builder
	evs := sampleEvents()
	for i := range evs {
		r, err := EncodeRecord(&evs[i])
		if err != nil {
			t.Fatal(err)
		}
		b.Add(r)
	}
	if err := os.WriteFile("testdata/v1.seg", b.Finish(), 0o644); err != nil {
		t.Fatal(err)
	}
}
