package chsink_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/collector/chsink"
	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/testkit"
)

// A batch larger than one native block goes out as several blocks of one
// INSERT: one part on the server, every row intact across block edges.
func TestSinkInsertsLargeBatchInBlocks(t *testing.T) {
	db := openDB(t, chtest.Shared(t))
	log := newMemLog()
	const n, perSeg = 20000, 500
	for i := 0; i < n; i += perSeg {
		evs := make([]event.Event, 0, perSeg)
		for j := i; j < i+perSeg; j++ {
			e := ev(j, "acme", "nudge_show", map[string]any{"uid": fmt.Sprintf("u-%d", j)})
			e.Context.URL = fmt.Sprintf("https://www.acme.com/p/%d", j)
			if j%2 == 1 {
				e.Context.Referrer = "" // empty values inside a block
			}
			evs = append(evs, e)
		}
		log.Append(evs...)
	}
	startSink(t, db, log, func(c *chsink.Config) {
		c.BatchSize, c.FlushInterval, c.FetchSegments = n, time.Minute, 64
	})
	testkit.Eventually(t, 30*time.Second, log.ackedAll(-1))

	if got := queryUint(t, db, "SELECT count() FROM events FINAL"); got != n {
		t.Fatalf("count() FINAL = %d, want %d", got, n)
	}
	if got := queryUint(t, db, "SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'events' AND level = 0"); got != 1 {
		t.Errorf("%d new parts, want 1 (one INSERT of several blocks)", got)
	}
	for _, i := range []int{0, 1, 2047, 2048, 2049, 16383, 16384, 16385, n - 1} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			var data, url, ref string
			var seq int64
			err := db.Conn().QueryRow(context.Background(), "SELECT data, url, referrer, seq FROM events WHERE event_id = ?",
				ev(i, "", "", nil).ID).Scan(&data, &url, &ref, &seq)
			if err != nil {
				t.Fatal(err)
			}
			wantRef := "https://google.com/"
			if i%2 == 1 {
				wantRef = ""
			}
			if want := fmt.Sprintf(`{"uid":"u-%d"}`, i); data != want || url != fmt.Sprintf("https://www.acme.com/p/%d", i) || ref != wantRef || seq != int64(i) {
				t.Errorf("row %d = %s, %s, %q, %d", i, data, url, ref, seq)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*chsink.Config)
		key  string
	}{
		{"defaults", func(*chsink.Config) {}, ""},
		{"batch_size", func(c *chsink.Config) { c.BatchSize = 0 }, "clickhouse_sink.batch_size"},
		{"batch_bytes small", func(c *chsink.Config) { c.BatchBytes = 10 }, "clickhouse_sink.batch_bytes"},
		{"batch_bytes large", func(c *chsink.Config) { c.BatchBytes = 2 << 30 }, "clickhouse_sink.batch_bytes"},
		{"insert_concurrency", func(c *chsink.Config) { c.InsertConcurrency = 0 }, "clickhouse_sink.insert_concurrency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := chsink.NewDefaultConfig()
			tt.mod(&c)
			err := c.Validate()
			switch {
			case tt.key == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.key != "" && (err == nil || !strings.Contains(err.Error(), tt.key)):
				t.Errorf("Validate() = %v, want an error naming %s", err, tt.key)
			}
		})
	}
}
