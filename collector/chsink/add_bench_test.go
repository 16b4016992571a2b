package chsink

import (
	"fmt"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/site"
)

// BenchmarkRowsAdd converts events to rows under the hash policy; ns/op is
// per event. "mix" is traffic shaped like TestBenchSink's (one in ten a
// lead with PII); "leads" are all captured leads, each with a distinct
// phone number, written in the shapes browsers send; in "leads-repeat"
// each number comes three times in a row (a lead's later events, or a
// redelivered segment); "mix-cached" is "mix" with 100 numbers, all
// remembered (as in TestBenchSink).
func BenchmarkRowsAdd(b *testing.B) {
	phones := []string{"98765%05d", "+91 98765 %05d", "098765%05d", "0091 98765%05d"}
	mk := func(i, phone int, lead bool) event.Event {
		e := event.Event{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), SiteID: "acme", Name: "nudge_show",
			ClientTime: time.Unix(1_700_000_000, 0), ReceivedAt: time.Unix(1_700_000_000, 0),
			Context: event.Context{URL: "https://www.acme.com/p", Country: "IN", IP: "203.0.113.7", UserAgent: "Mozilla/5.0"}}
		e.Data = []byte(fmt.Sprintf(`{"uid":"u-%d"}`, i%7))
		if lead {
			e.Name = "popin_captured"
			mobile := fmt.Sprintf(phones[phone%len(phones)], phone%100000)
			e.Data = []byte(fmt.Sprintf(`{"name":"Visitor %d","email":"visitor%d@example.com","country":"IN","mobile":%q,"city":"Pune","pin_code":"411001","uid":"u-%d"}`, i, i, mobile, i%7))
		}
		return e
	}
	for _, bc := range []struct {
		name  string
		lead  func(i int) bool
		phone func(i int) int
	}{
		{"mix", func(i int) bool { return i%10 == 0 }, func(i int) int { return i }},
		{"mix-cached", func(i int) bool { return i%10 == 0 }, func(i int) int { return i % 1000 }}, // as TestBenchSink: 100 numbers
		{"leads", func(int) bool { return true }, func(i int) int { return i }},
		{"leads-repeat", func(int) bool { return true }, func(i int) int { return i / 3 }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			evs := make([]event.Event, 100_000)
			for i := range evs {
				evs[i] = mk(i, bc.phone(i), bc.lead(i))
			}
			var r rows
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if r.len() == 10_000 {
					r.reset()
				}
				r.add(&evs[i%len(evs)], site.PIIHash, "IN", nil)
			}
		})
	}
}
