package ingest

import (
	"encoding/json"
	"testing"
)

// BenchmarkParseValidate5 is the CPU the bridge spends on one 5-event frame
// of TestBenchIngest before the event log: ParseBatch and each event's
// schema validation (from what ParseBatch found or decoded), as prepare does.
func BenchmarkParseValidate5(b *testing.B) {
	frames := benchFrames(b, 64, 5)
	lim := testConfig().limits()
	in := &Ingest{validator: schemaValidator{}, valueVal: schemaValidator{}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		items, rerr := ParseBatch(frames[i%len(frames)], lim)
		if rerr != nil {
			b.Fatal(rerr)
		}
		for j := range items {
			it := &items[j]
			if it.Reject != nil || !it.decoded && !it.fits {
				b.Fatalf("item %d: reject %v, decoded %v, fits %v", j, it.Reject, it.decoded, it.fits)
			}
			if _, err := in.validate(it); err != nil {
				b.Fatal(err)
			}
		}
		i++
	}
}

// BenchmarkBaselineDecode5 is what TestBenchIngest's baseline server does
// with the same frames: encoding/json into ids, names and raw data.
func BenchmarkBaselineDecode5(b *testing.B) {
	frames := benchFrames(b, 64, 5)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var batch struct {
			Batch []struct {
				ID   string          `json:"id"`
				Name string          `json:"name"`
				Data json.RawMessage `json:"data"`
			} `json:"batch"`
		}
		if err := json.Unmarshal(frames[i%len(frames)], &batch); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
