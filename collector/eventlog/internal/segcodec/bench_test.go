package segcodec

import "testing"

func BenchmarkEncode(b *testing.B) {
	e := benchEvent()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeRecord(&e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode decodes a 64-event segment; ns/op is per event.
func BenchmarkDecode(b *testing.B) {
	const n = 64
	e := benchEvent()
	var bl Builder
	for range n {
		r, err := EncodeRecord(&e)
		if err != nil {
			b.Fatal(err)
		}
		bl.Add(r)
	}
	seg := bl.Finish()
	b.ReportAllocs()
	b.SetBytes(int64(len(seg)))
	for b.Loop() {
		if _, err := Decode(seg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
}
