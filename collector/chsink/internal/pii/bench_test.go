package pii

import (
	"testing"

	"github.com/popinbridge/bridge/internal/site"
)

// BenchmarkAppendApply converts one payload under the hash policy, by the
// fast path (as the sink does) and by the plain one.
func BenchmarkAppendApply(b *testing.B) {
	for _, bc := range []struct{ name, data string }{
		{"short", `{"uid":"u-3"}`},
		{"screen", `{"uid":"u-3","screen":"screen-2"}`},
		{"lead", `{"name":"Visitor 10","email":"visitor10@example.com","country":"IN","mobile":"9876500010","city":"Pune","pin_code":"411001","group":"sales","uid":"u-3"}`},
	} {
		data := []byte(bc.data)
		region := Region{Seen: "IN", Site: "IN"}
		b.Run(bc.name+"/fast", func(b *testing.B) {
			var sc Scratch
			buf := make([]byte, 0, 1024)
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = sc.AppendApplyNames(buf[:0], data, site.PIIHash, "", region, nil)
			}
		})
		b.Run(bc.name+"/plain", func(b *testing.B) {
			buf := make([]byte, 0, 1024)
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = appendApplyPlain(buf[:0], data, site.PIIHash, "", region, nil)
			}
		})
	}
}
